/** Ledger stream for retention, hold, purge-certificate and verification events. */
export const COMPLIANCE_STREAM = 'compliance';

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
  /**
   * Formats of the batch digests folded into `digest` (ascending; certificate version 2 on).
   * Absent (version 1 certificates): every batch digest is version 1.
   */
  digestVersions?: number[];
}

/** The signed purge certificate body (canonical JSON of this object is what is signed). */
export interface PurgeCertificate {
  type: 'ledgerflow.purge_certificate';
  /** 2 since the classes carry `digestVersions`; a version 1 certificate still verifies as signed. */
  version: 1 | 2;
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
