import { eq } from 'drizzle-orm';
import type { ParsedList } from '../../core/screening/types';
import type { Database } from '../../db/client';
import { screeningListEntries } from '../../db/schema';
import { entryHashOf } from './ids';

/** Drops repeated entry ids (keeping the first): a repeated id is a broken row, reported like the others. */
export function dropDuplicateIds(parsed: ParsedList, source: string): void {
  const seenIds = new Set<string>();
  parsed.entries = parsed.entries.filter((e) => {
    if (!seenIds.has(e.entryId)) return seenIds.add(e.entryId);
    parsed.issues.push({ file: source, message: `entry id ${e.entryId} appears twice; kept the first` });
    return false;
  });
}

/** Entries added, changed and removed against a version (all added when there is none). */
export interface ListDiff {
  /** entry id -> entry hash of the new version. */
  hashes: Map<string, string>;
  added: number;
  changed: number;
  removed: number;
}

/** Diffs parsed entries against the stored entries of `againstVersionId` by entry hash. */
export async function diffAgainst(
  db: Database,
  parsed: ParsedList,
  againstVersionId: string | undefined,
): Promise<ListDiff> {
  const hashes = new Map(parsed.entries.map((e) => [e.entryId, entryHashOf(e)]));
  let added = parsed.entries.length;
  let changed = 0;
  let removed = 0;
  if (againstVersionId) {
    const old = await db
      .select({ entryId: screeningListEntries.entryId, entryHash: screeningListEntries.entryHash })
      .from(screeningListEntries)
      .where(eq(screeningListEntries.versionId, againstVersionId));
    const oldMap = new Map(old.map((o) => [o.entryId, o.entryHash]));
    added = 0;
    for (const [id, h] of hashes) {
      const o = oldMap.get(id);
      if (o === undefined) added++;
      else if (o !== h) changed++;
    }
    for (const id of oldMap.keys()) if (!hashes.has(id)) removed++;
  }
  return { hashes, added, changed, removed };
}
