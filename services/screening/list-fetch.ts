import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { SOURCE_ADAPTERS, type ListFiles } from '../../core/screening/sources';
import type { ParseIssue } from '../../core/screening/types';
import type { screeningListVersions } from '../../db/schema';
import { downloadList, ListDownloadError } from '../../providers/sanctions-download';
import { readListFiles } from '../../providers/sanctions-files';
import { InputError } from '../../runtime/errors';
import { toRef } from './active-index';
import { raiseAlert, screeningEvent, type Screening } from './deps';
import { SCREENING_STREAM, type LoadListInput, type LoadListResult } from './types';

/** A publication's files, ready to parse. */
export interface FetchedList {
  files: ListFiles;
  source: string;
  etag?: string;
  /** The URL or absolute path it came from. */
  origin: string;
}

type VersionRow = typeof screeningListVersions.$inferSelect;

/** Counts of a result that loaded nothing. */
export const NOTHING_LOADED = { added: 0, changed: 0, removed: 0, issueCount: 0, issues: [] as ParseIssue[] };

/**
 * Reads a publication from a local path, or downloads it (conditional on the active version's
 * ETag unless `confirm`). Returns a finished result instead when there is nothing new or the
 * download failed (then the last good version stays, with an alert and a ledger event).
 */
export async function fetchList(
  s: Screening,
  input: LoadListInput,
  activeBefore: VersionRow | undefined,
): Promise<FetchedList | { done: LoadListResult }> {
  const origin = input.url ?? path.resolve(input.path!);
  if (!input.url) {
    const r = await readListFiles(input.path!, input.source);
    return { files: r.files, source: r.source, origin };
  }
  const source = input.source ?? '';
  if (!SOURCE_ADAPTERS[source])
    throw new InputError(`loading from a URL needs --source ${Object.keys(SOURCE_ADAPTERS).join('|')}`);
  try {
    const r = await downloadList(input.url, {
      ...s.download,
      etag: input.confirm ? undefined : (activeBefore?.etag ?? undefined),
      log: s.log,
    });
    if (r.status === 'not-modified') {
      return {
        done: {
          ...NOTHING_LOADED,
          status: 'not-modified',
          source,
          message: `${source}: not modified since the active version (ETag ${r.etag})`,
          active: activeBefore ? toRef(activeBefore) : undefined,
        },
      };
    }
    const files = r.files;
    if (source === 'un' && !files['UN_consolidated.xml']) {
      const xml = Object.keys(files).find((n) => n.toLowerCase().endsWith('.xml'));
      if (xml) files['UN_consolidated.xml'] = files[xml]!;
    }
    return { files, source, etag: r.etag, origin };
  } catch (err) {
    if (!(err instanceof ListDownloadError)) throw err;
    const message = `download of ${source} failed; keeping the last good version${activeBefore ? ` ${activeBefore.contentHash.slice(0, 12)}` : ' (none loaded yet)'}: ${err.message}`;
    await raiseAlert(s, source, 'download_failed', message);
    await s.ledger.append(
      screeningEvent(s, input, {
        event_type: 'screening.list_download_failed',
        resource: { type: 'sanctions_list', id: source },
        action: 'download',
        outcome: 'error',
        payload: {
          source,
          url: input.url,
          error: err.message,
          attempts: err.attempts,
          kept_version: activeBefore?.id ?? null,
        },
      }),
      { stream: SCREENING_STREAM, idempotencyKey: `list-download-failed:${source}:${randomUUID()}` },
    );
    return {
      done: {
        ...NOTHING_LOADED,
        status: 'download_failed',
        source,
        message,
        active: activeBefore ? toRef(activeBefore) : undefined,
      },
    };
  }
}
