import { and, eq, sql } from 'drizzle-orm';
import { MATCHER_VERSION } from '../../core/screening/config';
import { deterministicUuid } from '../../core/deterministic-id';
import { ScreeningIndex } from '../../core/screening/matcher';
import type { ListEntry, ScreeningQuery } from '../../core/screening/types';
import { screeningListEntries, screeningListVersions } from '../../db/schema';
import { InputError } from '../../runtime/errors';
import { toRef, type LoadedIndex } from './active-index';
import type { Screening } from './deps';
import { exceptionsFor, screenAgainst } from './exceptions';
import { subjectKeyOf } from './ids';
import { persistResults } from './results';
import type { RescreenInput, ScreeningResult } from './types';

/** Outcome of a re-screening: the results that have hits (the others are not stored). */
export interface RescreenResult {
  source: string;
  versionId: string;
  changedEntries: number;
  subjects: number;
  results: ScreeningResult[];
}

/**
 * Re-screens known subjects (latest stored query per subject id) against only the entries of
 * `source` that were added or changed between two versions. Returns the new hits.
 */
export async function rescreenChanged(s: Screening, input: RescreenInput): Promise<RescreenResult> {
  const { db } = s;
  const [to] = input.toVersionId
    ? await db.select().from(screeningListVersions).where(eq(screeningListVersions.id, input.toVersionId))
    : await db
        .select()
        .from(screeningListVersions)
        .where(
          and(eq(screeningListVersions.source, input.source), eq(screeningListVersions.status, 'active')),
        );
  if (!to) throw new InputError(`no active ${input.source} version`);
  const newEntries = await db
    .select()
    .from(screeningListEntries)
    .where(eq(screeningListEntries.versionId, to.id));
  const oldHashes = new Map<string, string>();
  if (input.fromVersionId) {
    for (const o of await db
      .select({ entryId: screeningListEntries.entryId, entryHash: screeningListEntries.entryHash })
      .from(screeningListEntries)
      .where(eq(screeningListEntries.versionId, input.fromVersionId)))
      oldHashes.set(o.entryId, o.entryHash);
  }
  const delta = newEntries
    .filter((e) => oldHashes.get(e.entryId) !== e.entryHash)
    .map((e) => e.data as ListEntry);
  const subjects = await db.execute<{ subject_id: string; query: ScreeningQuery }>(
    sql`SELECT DISTINCT ON (subject_id) subject_id, query FROM screening_results WHERE subject_id IS NOT NULL ORDER BY subject_id, screened_at DESC`,
  );
  const base = {
    source: input.source,
    versionId: to.id,
    changedEntries: delta.length,
    subjects: subjects.rows.length,
  };
  if (delta.length === 0 || subjects.rows.length === 0) return { ...base, results: [] };
  const index = new ScreeningIndex(delta, s.matcher);
  const hashes = new Map(newEntries.map((e) => [`${e.source}:${e.entryId}`, e.entryHash]));
  const loaded: LoadedIndex = { key: `delta:${to.id}`, index, hashes, versions: [toRef(to)] };
  const exceptions = await exceptionsFor(
    s,
    subjects.rows.map((r) => subjectKeyOf(r.subject_id, undefined)),
  );
  const results: ScreeningResult[] = [];
  for (const subject of subjects.rows) {
    const { decision, hits } = screenAgainst(
      loaded,
      subject.query,
      subjectKeyOf(subject.subject_id, undefined),
      exceptions,
    );
    if (hits.length === 0) continue;
    results.push({
      id: deterministicUuid(`rescreen:${to.id}:${input.fromVersionId ?? ''}:${subject.subject_id}`),
      subjectId: subject.subject_id,
      query: subject.query,
      decision,
      hits,
      listVersions: [toRef(to)],
      matcherVersion: MATCHER_VERSION,
      thresholds: s.matcher.thresholds,
    });
  }
  await persistResults(s, input, results, `rescreen:${to.id}`);
  return { ...base, results };
}
