import type { EntityKind } from './normalize';

/** Identifier of a sanctions list source; one adapter per source. */
export type SourceId = 'ofac-sdn' | 'ofac-consolidated' | 'un' | (string & {});

/** One name of a list entry: its primary name or an alias. */
export interface EntryName {
  name: string;
  /** `primary`, `aka`, `fka`, `nka`, `original-script`, or the list's own quality label. */
  type: string;
}

/** One sanctioned party as parsed from a list, independent of the list's format. */
export interface ListEntry {
  source: SourceId;
  /** The list's own id: OFAC ent_num, UN reference number. */
  entryId: string;
  kind: EntityKind;
  primaryName: string;
  aliases: EntryName[];
  /** Birth dates as written: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`. */
  birthDates: string[];
  /** ISO 3166-1 alpha-2 codes (nationality, citizenship, addresses) where recognised. */
  countries: string[];
  programs: string[];
  remarks?: string;
}

/** A row of a list file that could not be parsed; the rest of the file still loads. */
export interface ParseIssue {
  file: string;
  line?: number;
  message: string;
}

export interface ParsedList {
  source: SourceId;
  entries: ListEntry[];
  issues: ParseIssue[];
  /** Publication date the list states about itself, if any. */
  publishedAt?: string;
}

/** What a screening request may carry besides the name. */
export interface ScreeningQuery {
  name: string;
  kind?: EntityKind;
  /** `YYYY`, `YYYY-MM-DD`... */
  dob?: string;
  /** ISO alpha-2 code or English country name. */
  country?: string;
}

export type Decision = 'block' | 'review' | 'clear';

export interface Adjustment {
  factor: 'dob' | 'country' | 'kind';
  delta: number;
  detail: string;
}

export interface HitExplanation {
  entry: { source: SourceId; entryId: string; primaryName: string; kind: EntityKind };
  matchedName: string;
  matchedNameType: string;
  /** Scripts of the query (Unicode Script property) and of the listed name matched. */
  scripts: { query: string[]; candidate: string[] };
  /** Latin form(s) a non-Latin query was matched as: romanisation, and phonetic keys for abjad scripts. */
  queryRomanizations: string[];
  /** The same for a non-Latin listed name. */
  candidateRomanizations: string[];
  normalizedQuery: string[];
  normalizedCandidate: string[];
  removedWords: string[];
  tokenPairs: Array<{ query: string; candidate: string; similarity: number; kind: string }>;
  unmatchedQuery: string[];
  unmatchedCandidate: string[];
  nameScore: number;
  adjustments: Adjustment[];
  score: number;
  /** Set when a reviewer's false-positive exception cleared this hit. */
  suppressedBy?: { exceptionId: string; reason: string };
}

export interface Hit {
  source: SourceId;
  entryId: string;
  matchedName: string;
  score: number;
  decision: Decision;
  explanation: HitExplanation;
}
