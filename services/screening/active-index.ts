import { asc, eq, inArray } from 'drizzle-orm';
import type { MatcherConfig } from '../../core/screening/config';
import { ScreeningIndex } from '../../core/screening/matcher';
import type { ListEntry } from '../../core/screening/types';
import type { Database } from '../../db/client';
import { screeningListEntries, screeningListVersions } from '../../db/schema';
import type { VersionRef } from './types';

/** A matcher index over some list entries, with the entries' hashes and the versions they come from. */
export interface LoadedIndex {
  key: string;
  index: ScreeningIndex;
  /** `source:entryId` -> entry hash. */
  hashes: Map<string, string>;
  versions: VersionRef[];
}

/** The index over every active list version; rebuilt only when the active set changes. */
export interface ActiveIndex {
  current(): Promise<LoadedIndex>;
}

/** The reference of a stored list version. */
export const toRef = (v: {
  id: string;
  source: string;
  contentHash: string;
  entryCount: number;
}): VersionRef => ({
  id: v.id,
  source: v.source,
  contentHash: v.contentHash,
  entryCount: v.entryCount,
});

/** Active list versions, by source. */
export async function activeVersions(db: Database): Promise<VersionRef[]> {
  const rows = await db
    .select()
    .from(screeningListVersions)
    .where(eq(screeningListVersions.status, 'active'))
    .orderBy(asc(screeningListVersions.source));
  return rows.map(toRef);
}

export function createActiveIndex(db: Database, matcher: MatcherConfig): ActiveIndex {
  let cache: LoadedIndex | undefined;
  return {
    async current() {
      const versions = await activeVersions(db);
      const key = versions.map((v) => v.id).join(',');
      if (cache?.key === key) return cache;
      const entries: ListEntry[] = [];
      const hashes = new Map<string, string>();
      if (versions.length > 0) {
        const rows = await db
          .select({ data: screeningListEntries.data, entryHash: screeningListEntries.entryHash })
          .from(screeningListEntries)
          .where(
            inArray(
              screeningListEntries.versionId,
              versions.map((v) => v.id),
            ),
          );
        for (const r of rows) {
          const e = r.data as ListEntry;
          entries.push(e);
          hashes.set(`${e.source}:${e.entryId}`, r.entryHash);
        }
      }
      cache = { key, index: new ScreeningIndex(entries, matcher), hashes, versions };
      return cache;
    },
  };
}
