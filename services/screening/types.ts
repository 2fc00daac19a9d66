import type { Actor, EventContext } from '../../core/audit-event';
import type { Thresholds } from '../../core/screening/config';
import type { EntityKind } from '../../core/screening/normalize';
import type { Decision, Hit, ScreeningQuery } from '../../core/screening/types';
import type { VersionRef } from '../../contracts/screening';

export type { LoadListResult, VersionRef } from '../../contracts/screening';

/** Ledger stream of every screening event. */
export const SCREENING_STREAM = 'screening';

/** Caller provenance for ledger events (CLI request, workflow/activity ids...). */
export interface CallContext {
  actor?: Actor;
  context?: EventContext;
}

export interface LoadListInput extends CallContext {
  /** Local file or directory. */
  path?: string;
  /** HTTP(S) URL of a published list (manifest base or single file). */
  url?: string;
  source?: string;
  /** Accept a version that drops more entries than allowed. */
  confirm?: boolean;
}

export interface ScreenNameInput extends CallContext {
  name: string;
  dob?: string;
  country?: string;
  kind?: EntityKind;
  /** Customer id: the key of false-positive exceptions and of re-screening. */
  subjectId?: string;
  /** Id of the stored result; activities pass one derived from their step so a retry writes nothing new. */
  resultId?: string;
}

/** One screened name: its decision, hits and what produced them. */
export interface ScreeningResult {
  id: string;
  row?: number;
  subjectId?: string;
  query: ScreeningQuery;
  decision: Decision;
  hits: Hit[];
  listVersions: VersionRef[];
  matcherVersion: string;
  thresholds: Thresholds;
}

/** A batch row that could not be screened, and why. */
export interface RejectedRow {
  row: number;
  error: string;
}

export interface BatchProgress {
  batchId: string;
  /** Items done (resume from here). */
  offset: number;
  total: number;
  screened: number;
  rejected: number;
}

export interface ScreenBatchInput extends CallContext {
  file: string;
  /** Name column (default: name, full_name or the first column). */
  column?: string;
  /** Same id on resume; default a new one. */
  batchId?: string;
  /** Resume offset (items already done). */
  offset?: number;
  chunkSize?: number;
  /** Write report.csv and report.json here. */
  outDir?: string;
}

export interface BatchReport {
  batchId: string;
  file: string;
  totalRows: number;
  screened: number;
  rejected: number;
  decisions: Record<Decision, number>;
  errors: RejectedRow[];
  listVersions: VersionRef[];
  matcherVersion: string;
  thresholds: Thresholds;
  reportFiles?: { csv: string; json: string };
  /** One result per input row (screened or rejected), in file order. */
  rows: Array<ScreeningResult | RejectedRow>;
}

export interface FalsePositiveInput extends CallContext {
  subjectId?: string;
  name?: string;
  source: string;
  entryId: string;
  reason: string;
  reviewer: string;
}

export interface RescreenInput extends CallContext {
  source: string;
  fromVersionId?: string;
  toVersionId?: string;
}

/** Exceptions in force, by `subjectKey|source:entryId`. */
export type ExceptionMap = Map<string, { id: string; entryHash: string; reason: string }>;
