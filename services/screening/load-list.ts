import { SOURCE_ADAPTERS } from '../../core/screening/sources';
import { InputError } from '../../runtime/errors';
import { toRef } from './active-index';
import { raiseAlert, screeningEvent, type Screening } from './deps';
import { contentHashOf } from './ids';
import { fetchList, NOTHING_LOADED } from './list-fetch';
import { diffAgainst, dropDuplicateIds } from './list-diff';
import {
  activateVersion,
  activeVersionOf,
  holdVersion,
  recordLoaded,
  storePendingVersion,
  versionByHash,
} from './list-versions';
import { SCREENING_STREAM, type LoadListInput, type LoadListResult } from './types';

/**
 * Loads a list version from a path or URL: parses it, diffs it against the active version of
 * its source and activates it (recorded in the ledger), unless it is already active, has no
 * entries, or drops more than `maxDropShare` of the active entries without `confirm` (then it
 * is held with an alert). A failed download keeps the last good version.
 */
export async function loadList(s: Screening, input: LoadListInput): Promise<LoadListResult> {
  const { db } = s;
  if (!input.path && !input.url) throw new InputError('give a list path or URL');
  const activeBefore = input.source ? await activeVersionOf(db, input.source) : undefined;
  const fetched = await fetchList(s, input, activeBefore);
  if ('done' in fetched) return fetched.done;
  const { files, source, etag, origin } = fetched;
  const adapter = SOURCE_ADAPTERS[source]!;
  const contentHash = contentHashOf(files);
  const active = await activeVersionOf(db, source);
  const existing = await versionByHash(db, source, contentHash);
  if (existing && existing.status === 'active') {
    // Crash recovery: activated but its ledger event not yet linked.
    if (existing.ledgerSeq === null) await recordLoaded(s, input, existing, origin);
    return {
      ...NOTHING_LOADED,
      status: 'unchanged',
      source,
      message: `${source}: version ${contentHash.slice(0, 12)} is already active`,
      version: toRef(existing),
      active: toRef(existing),
    };
  }
  const parsed = adapter.parse(files);
  const issues = parsed.issues;
  dropDuplicateIds(parsed, source);
  if (parsed.entries.length === 0) {
    const message = `${source}: the new version has no entries (${issues.length} issues); keeping the last good version`;
    await raiseAlert(s, source, 'empty_list', message);
    return {
      ...NOTHING_LOADED,
      status: 'rejected',
      source,
      message,
      issueCount: issues.length,
      issues: issues.slice(0, 20),
      active: active ? toRef(active) : undefined,
    };
  }
  const diff = await diffAgainst(db, parsed, active?.id);
  const { added, changed, removed } = diff;
  const counts = { added, changed, removed, issueCount: issues.length, issues: issues.slice(0, 20) };
  const dropShare = active && active.entryCount > 0 ? removed / active.entryCount : 0;
  const versionId =
    existing?.id ??
    (await storePendingVersion(db, { source, contentHash, origin, etag, parsed, diff, issues }));
  if (dropShare > s.maxDropShare && !input.confirm) {
    await holdVersion(db, versionId);
    const message = `${source}: the new version drops ${removed} of ${active!.entryCount} entries (${(dropShare * 100).toFixed(1)}%, over the ${(s.maxDropShare * 100).toFixed(0)}% limit); kept the active version, re-run with --confirm to accept it`;
    await raiseAlert(s, source, 'shrink_needs_confirmation', message);
    await s.ledger.append(
      screeningEvent(s, input, {
        event_type: 'screening.list_version_held',
        resource: { type: 'sanctions_list', id: source },
        action: 'load',
        outcome: 'denied',
        payload: {
          source,
          version_id: versionId,
          content_hash: contentHash,
          entry_count: parsed.entries.length,
          added,
          changed,
          removed,
          active_version: active!.id,
          origin,
        },
      }),
      { stream: SCREENING_STREAM, idempotencyKey: `list-version-held:${source}:${contentHash}` },
    );
    return {
      ...counts,
      status: 'held',
      source,
      message,
      version: { id: versionId, source, contentHash, entryCount: parsed.entries.length },
      active: toRef(active!),
    };
  }
  const version = await activateVersion(db, source, versionId, diff);
  await recordLoaded(s, input, version, origin, active?.id);
  return {
    ...counts,
    previousVersionId: active?.id,
    status: 'loaded',
    source,
    message: `${source}: loaded version ${contentHash.slice(0, 12)} with ${parsed.entries.length} entries (+${added} ~${changed} -${removed}; ${issues.length} rows skipped)`,
    version: toRef(version),
    active: toRef(version),
  };
}
