import anyAscii from 'any-ascii';
import { jaroWinkler } from './screening/similarity';

/**
 * INTERIM name matcher for the loan workflow's `screenParties` activity, used until the
 * sanctions engine in core/screening exposes a screening API. Deliberately small and honest:
 * transliterate, lowercase, split into tokens, pair every list-entry token with its best
 * query token by Jaro-Winkler, average, and penalise a birth-year contradiction. No aliases,
 * nicknames or phonetics: it finds close spellings, not every alias.
 */
export const INTERIM_ENGINE = 'interim-token-jaro-winkler/1';
export const INTERIM_THRESHOLD = 0.88;

export interface WatchlistEntry {
  id: string;
  listName: string;
  name: string;
  kind: string;
  birthYear: number | null;
}

export interface ScreenedParty {
  name: string;
  birthYear?: number;
}

export function tokens(name: string): string[] {
  return anyAscii(name)
    .toLowerCase()
    .replace(/[^a-z0-9\s]/g, ' ')
    .split(/\s+/)
    .filter((t) => t.length > 1);
}

/** Score of a party against a list entry: mean best-token similarity over the entry's tokens. */
export function scoreParty(party: ScreenedParty, entry: WatchlistEntry): number {
  const q = tokens(party.name);
  const c = tokens(entry.name);
  if (q.length === 0 || c.length === 0) return 0;
  const per = c.map((ct) => Math.max(...q.map((qt) => jaroWinkler(qt, ct))));
  let score = per.reduce((s, x) => s + x, 0) / per.length;
  if (party.birthYear && entry.birthYear && Math.abs(party.birthYear - entry.birthYear) > 1) score -= 0.15;
  return Math.max(0, Math.min(1, score));
}

/** All (party, entry) pairs at or above the threshold. */
export function interimScreen(
  parties: ScreenedParty[],
  entries: WatchlistEntry[],
  threshold = INTERIM_THRESHOLD,
): Array<{ partyIndex: number; entry: WatchlistEntry; score: number }> {
  const hits: Array<{ partyIndex: number; entry: WatchlistEntry; score: number }> = [];
  parties.forEach((p, partyIndex) => {
    for (const entry of entries) {
      const score = scoreParty(p, entry);
      if (score >= threshold) hits.push({ partyIndex, entry, score: Math.round(score * 1000) / 1000 });
    }
  });
  return hits;
}
