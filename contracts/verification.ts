import { z } from 'zod';
import { workflowRef } from './workflow-ref';

/** Contract of the `chainVerification` workflow (workflows/retention.ts). */

export const ChainVerificationInputSchema = z
  .object({
    /** Streams to verify (default: all). */
    streams: z.array(z.string().min(1)).optional(),
    /** Verify everything from the genesis instead of from the last verified checkpoint. */
    full: z.boolean().default(false),
    /** The starter, if given: it must be the principal whose start is on record (see docs/identity.md). */
    requestedBy: z.string().min(1).max(200).optional(),
  })
  .strict();
export type ChainVerificationInput = z.input<typeof ChainVerificationInputSchema>;

/** Per-stream outcome of a verification run, as recorded in the ledger. */
export interface ChainVerificationResult {
  ok: boolean;
  streams: Array<{
    stream: string;
    valid: boolean;
    fromSeq: number;
    eventsChecked: number;
    detail: string | null;
    firstBadSeq: number | null;
  }>;
  eventsChecked: number;
  recorded?: { stream: string; seq: number };
  alert?: { stream: string; seq: number };
  /** The comparison with the external witness, when one is configured. */
  witness?: {
    status: string;
    detail: string;
    /** Head version this run published, or null. */
    published: number | null;
    recorded: { stream: string; seq: number };
    alarms: Array<{ alarm_id: string; state: 'fired' | 'resolved'; seq: number; delivered: boolean }>;
  };
}

/** Failure types of the chain verification. */
export const VerificationFailure = {
  /** The chain did not verify: the run fails (non-retryable) after recording the alert. */
  ChainVerificationFailed: 'ChainVerificationFailed',
  /** The live ledger forked from or rolled back behind its witness (or a witness record is bad). */
  WitnessCheckFailed: 'WitnessCheckFailed',
} as const;

export type ChainVerificationWorkflow = (input?: ChainVerificationInput) => Promise<ChainVerificationResult>;

/** Typed reference to the `chainVerification` workflow, for clients and schedules. */
export const chainVerificationWorkflow = workflowRef<ChainVerificationWorkflow>('chainVerification');
