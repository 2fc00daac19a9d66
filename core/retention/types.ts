import { z } from 'zod';

/** Ledger stream for retention, hold, purge-certificate and verification events. */
export const COMPLIANCE_STREAM = 'compliance';

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
    requestedBy: z.string().min(1).max(200).default('schedule'),
  })
  .strict();
export type RetentionPurgeInput = z.input<typeof RetentionPurgeInputSchema>;

/** What a purge would do / did for one data class, before deletion (preview). */
export interface ClassPreview {
  data_class: string;
  expired: number;
  purgeable: number;
  held: number;
  holds: Array<{ hold_id: string; case_id: string; scope: string; blocked: number }>;
  policy_versions: string;
  min_ts?: string | null;
  max_ts?: string | null;
}

export interface ClassPurgeSummary {
  dataClass: string;
  action: string;
  purged: number;
  batches: number;
  heldSkippedLate: number;
  firstKey: string | null;
  lastKey: string | null;
  minTs: string | null;
  maxTs: string | null;
  /** SHA-256 over the batch digests (hex) in batch order. */
  digest: string | null;
  policyVersions: string;
}

/** The signed purge certificate body (canonical JSON of this object is what is signed). */
export interface PurgeCertificate {
  type: 'ledgerflow.purge_certificate';
  version: 1;
  purge_run_id: string;
  workflow: { workflow_id: string; run_id: string };
  as_of: string;
  issued_at: string;
  requested_by: string;
  classes: ClassPurgeSummary[];
  totals: { purged: number; held: number };
  blocking_holds: Array<{
    data_class: string;
    hold_id: string;
    case_id: string;
    scope: string;
    blocked: number;
  }>;
  method: string;
}

export interface SignedPurgeCertificate {
  certificate: PurgeCertificate;
  signature: { alg: 'ed25519'; key_id: string; public_key: string; value: string };
}

export interface RetentionPurgeResult {
  purgeRunId: string;
  asOf: string;
  dryRun: boolean;
  preview: ClassPreview[];
  purged: Record<string, number>;
  certificate?: { stream: string; seq: number; keyId: string };
}

export const ChainVerificationInputSchema = z
  .object({
    /** Streams to verify (default: all). */
    streams: z.array(z.string().min(1)).optional(),
    /** Verify everything from the genesis instead of from the last verified checkpoint. */
    full: z.boolean().default(false),
    requestedBy: z.string().min(1).max(200).default('schedule'),
  })
  .strict();
export type ChainVerificationInput = z.input<typeof ChainVerificationInputSchema>;

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
}
