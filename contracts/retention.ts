import { z } from 'zod';
import type { ClassPreview } from '../core/retention/types';
import { workflowRef } from './workflow-ref';

/** Contract of the `retentionPurge` workflow (workflows/retention.ts). */

const Iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time');

export const RetentionPurgeInputSchema = z
  .object({
    /** Expiry is computed as of this time (default: the workflow's start). Never in the future. */
    asOf: Iso.optional(),
    dryRun: z.boolean().default(false),
    batchSize: z.number().int().min(1).max(50_000).default(1000),
    /** Data classes to purge (default: every class a policy covers). */
    dataClasses: z.array(z.string().min(1)).optional(),
    /** Id recorded in the purge records and certificate (default: the workflow id). */
    purgeRunId: z.string().min(1).max(300).optional(),
    /** The starter, if given: it must be the principal whose start is on record (see docs/identity.md). */
    requestedBy: z.string().min(1).max(200).optional(),
    /** Batch activities per workflow run; then the run continues as new with its cursor. */
    roundsPerRun: z.number().int().min(1).max(10_000).default(500),
    /** Batches per activity (default: as many as fit its time budget). Small values are for tests. */
    batchesPerRound: z.number().int().min(1).optional(),
    /** Set by the workflow itself when it continues as new: where the previous run stopped. */
    resume: z
      .object({
        preview: z.array(z.custom<ClassPreview>((v) => typeof v === 'object' && v !== null)),
        classIndex: z.number().int().min(0),
        cursor: z.unknown(),
        purged: z.record(z.string(), z.number()),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RetentionPurgeInput = z.input<typeof RetentionPurgeInputSchema>;

/** What a run reports: the plan, rows purged per data class and where its certificate is. */
export interface RetentionPurgeResult {
  purgeRunId: string;
  asOf: string;
  dryRun: boolean;
  preview: ClassPreview[];
  purged: Record<string, number>;
  certificate?: { stream: string; seq: number; keyId: string };
}

/** Failure types of the retention purge (workflow and activities). */
export const RetentionFailure = {
  /** The database or the service refused the input (e.g. an as-of in the future): not retried. */
  Rejected: 'RetentionRejected',
  /** The purge did not finish within the round limit (only runs started before continue-as-new). */
  TooManyRounds: 'TooManyRounds',
} as const;

export type RetentionPurgeWorkflow = (input?: RetentionPurgeInput) => Promise<RetentionPurgeResult>;

/** Typed reference to the `retentionPurge` workflow, for clients and schedules. */
export const retentionPurgeWorkflow = workflowRef<RetentionPurgeWorkflow>('retentionPurge');
