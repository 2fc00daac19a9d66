import { defineQuery } from '@temporalio/workflow';
import { z } from 'zod';
import { workflowRef } from './workflow-ref';

/**
 * Contract of the screening workflows (`screeningBatch`, `screeningListUpdate`) and of the
 * activities they schedule. Workflow-safe: zod and types only.
 */

/** Failure types raised by the screening activities; the workflows do not retry these. */
export const ScreeningFailure = {
  /** Bad input (unreadable file, no list loaded, bad URL/source...): nothing was written. */
  InputError: 'InputError',
} as const;

/** One stored version of a sanctions list. */
export const VersionRefSchema = z.object({
  id: z.string(),
  source: z.string(),
  contentHash: z.string(),
  entryCount: z.number(),
});
export type VersionRef = z.infer<typeof VersionRefSchema>;

/** A list row the parser skipped. */
export const ParseIssueSchema = z.object({
  file: z.string(),
  line: z.number().optional(),
  message: z.string(),
});

export const LoadListStatusSchema = z.enum([
  'loaded',
  'unchanged',
  'not-modified',
  'held',
  'download_failed',
  'rejected',
]);

/** Outcome of loading a list version. */
export const LoadListResultSchema = z.object({
  status: LoadListStatusSchema,
  source: z.string(),
  message: z.string(),
  version: VersionRefSchema.optional(),
  /** The version screenings use after this call. */
  active: VersionRefSchema.optional(),
  /** The version that was active before this one was activated (for re-screening the delta). */
  previousVersionId: z.string().optional(),
  added: z.number(),
  changed: z.number(),
  removed: z.number(),
  issueCount: z.number(),
  issues: z.array(ParseIssueSchema),
});
export type LoadListResult = z.infer<typeof LoadListResultSchema>;

/** Where a batch stands: the next row offset is the resume point (query `screeningBatchProgress`). */
export const BatchProgressSchema = z.object({
  /** Rows before this offset are screened and stored. */
  offset: z.number().int().min(0),
  /** Rows in the file (known after the first chunk). */
  total: z.number().int().min(0).optional(),
  screened: z.number().int().min(0),
  rejected: z.number().int().min(0),
  /** Chunks done, over all runs of this batch. */
  chunks: z.number().int().min(0),
  /** Runs of this batch so far (1 + continue-as-new count). */
  generation: z.number().int().min(1),
});
export type BatchProgress = z.infer<typeof BatchProgressSchema>;

/** Input of `screeningBatch`: a customer CSV screened in chunks. */
export const ScreeningBatchInputSchema = z.object({
  file: z.string().min(1),
  /** Name column (default: name, full_name or the first column). */
  column: z.string().optional(),
  chunkSize: z.number().optional(),
  /** Write report.csv and report.json here. */
  outDir: z.string().optional(),
  /** Chunk activities per workflow run; then the run continues as new with its progress. */
  chunksPerRun: z.number().int().min(1).max(10_000).optional(),
  /** Set by the workflow itself when it continues as new: the progress so far. */
  resume: BatchProgressSchema.optional(),
});
export type ScreeningBatchInput = z.infer<typeof ScreeningBatchInputSchema>;

/** Query: the batch's progress and resume point. */
export const screeningBatchProgressQuery = defineQuery<BatchProgress>('screeningBatchProgress');

/** One chunk's outcome, as the chunk activity reports it. */
export interface BatchChunkResult {
  offset: number;
  nextOffset: number;
  total: number;
  screened: number;
  rejected: number;
  done: boolean;
}

/** What the batch workflow gets back: the report without its per-row results (they stay in PostgreSQL and the report files). */
export const BatchSummarySchema = z.object({
  batchId: z.string(),
  totalRows: z.number(),
  screened: z.number(),
  rejected: z.number(),
  decisions: z.object({ block: z.number(), review: z.number(), clear: z.number() }),
  reportFiles: z.object({ csv: z.string(), json: z.string() }).optional(),
});
export type BatchSummary = z.infer<typeof BatchSummarySchema>;

/** Input of `screeningListUpdate`: where the new version of one list comes from. */
export const ListUpdateInputSchema = z.object({
  source: z.string().min(1),
  url: z.string().optional(),
  path: z.string().optional(),
  /** Accept a version that drops more entries than allowed. */
  confirm: z.boolean().optional(),
});
export type ListUpdateInput = z.infer<typeof ListUpdateInputSchema>;

/** Re-screening of known subjects against the entries a new version added or changed. */
export const RescreenSummarySchema = z.object({
  source: z.string(),
  versionId: z.string(),
  changedEntries: z.number(),
  subjects: z.number(),
  newHits: z.number(),
  resultIds: z.array(z.string()),
});
export type RescreenSummary = z.infer<typeof RescreenSummarySchema>;

export const ListUpdateResultSchema = z.object({
  load: LoadListResultSchema,
  rescreen: RescreenSummarySchema.optional(),
});
export type ListUpdateResult = z.infer<typeof ListUpdateResultSchema>;

/** The activities the screening workflows schedule (implemented by activities/screening.ts). */
export interface ScreeningActivities {
  screeningLoadList(input: {
    url?: string;
    path?: string;
    source?: string;
    confirm?: boolean;
  }): Promise<LoadListResult>;
  /** Resumes from the last heartbeat of the same batch id (runs recorded before chunk activities). */
  screeningBatch(input: ScreeningBatchInput & { batchId: string }): Promise<BatchSummary>;
  /** Screens and stores rows [offset, offset + chunkSize) of a batch; idempotent per batch id and row. */
  screeningBatchChunk(input: {
    batchId: string;
    file: string;
    column?: string;
    offset: number;
    chunkSize: number;
  }): Promise<BatchChunkResult>;
  /** The summary (and report files) of a batch whose chunks are all stored. */
  screeningBatchReport(input: {
    batchId: string;
    file: string;
    column?: string;
    outDir?: string;
  }): Promise<BatchSummary>;
  screeningRescreenChanged(input: {
    source: string;
    fromVersionId?: string;
    toVersionId?: string;
  }): Promise<RescreenSummary>;
}

/** Screens a customer file in chunks (resumable); the batch id is the workflow id. */
export type ScreeningBatchWorkflow = (input: ScreeningBatchInput) => Promise<BatchSummary>;
export const screeningBatchWorkflow = workflowRef<ScreeningBatchWorkflow>('screeningBatch');

/** Loads a new list version, then re-screens known customers against its changed entries. */
export type ScreeningListUpdateWorkflow = (input: ListUpdateInput) => Promise<ListUpdateResult>;
export const screeningListUpdateWorkflow = workflowRef<ScreeningListUpdateWorkflow>('screeningListUpdate');
