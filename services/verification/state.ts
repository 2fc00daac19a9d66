import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { ChainVerificationResult } from '../../contracts/verification';
import type { Database } from '../../db/client';

/** What a successful run proved of one stream (recorded in the ledger, read by the next run). */
export interface VerifiedStreamState {
  stream: string;
  /** Last checkpoint tree size proven by the run (0: none). */
  verified_through: number;
  head_seq: number;
  fingerprint: string | null;
}

/** A run's result with the state the next run continues from. */
export interface VerificationRunResult extends ChainVerificationResult {
  state: VerifiedStreamState[];
  mode: Record<string, 'full' | 'incremental' | 'full (fingerprint mismatch)'>;
  warnings: string[];
}

/** Fingerprint of the stored event rows 1..`through` of a stream (computed by PostgreSQL). */
export async function streamFingerprint(
  db: Database,
  stream: string,
  through: number,
): Promise<string | null> {
  if (through <= 0) return null;
  const r = await db.$client.query<{ f: string | null }>(
    `SELECT encode(sha256(string_agg(sha256(convert_to(row_to_json(t)::text, 'UTF8')), ''::bytea ORDER BY t.seq)), 'hex') AS f
       FROM (SELECT stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type, resource_id, action,
                    outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest, prev_hash, hash
               FROM ledger_events WHERE stream = $1 AND seq <= $2) t`,
    [stream, through],
  );
  return r.rows[0]?.f ?? null;
}

/** The state recorded by the last successful verification, if any (from the ledger). */
export async function lastVerifiedState(db: Database): Promise<Map<string, VerifiedStreamState>> {
  const r = await db.$client.query<{ payload: { state?: VerifiedStreamState[] } | null }>(
    `SELECT p.payload FROM ledger_events e LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
      WHERE e.stream = $1 AND e.event_type = 'ledger.verification_completed' AND e.outcome = 'success'
      ORDER BY e.seq DESC LIMIT 1`,
    [COMPLIANCE_STREAM],
  );
  return new Map((r.rows[0]?.payload?.state ?? []).map((s) => [s.stream, s]));
}

/** Latest verification outcome recorded in the ledger (for `schedules list` and `doctor`). */
export async function lastVerificationOutcome(
  db: Database,
): Promise<{ ok: boolean; at: string; seq: number; detail: string | null } | null> {
  const r = await db.$client.query<{ outcome: string; at: string; seq: number; detail: string | null }>(
    `SELECT e.outcome, e.occurred_at::text AS at, e.seq, p.payload->>'detail' AS detail
       FROM ledger_events e LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
      WHERE e.stream = $1 AND e.event_type IN ('ledger.verification_completed', 'ledger.verification_failed')
      ORDER BY e.seq DESC LIMIT 1`,
    [COMPLIANCE_STREAM],
  );
  const row = r.rows[0];
  return row ? { ok: row.outcome === 'success', at: row.at, seq: row.seq, detail: row.detail } : null;
}
