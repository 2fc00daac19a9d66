import { Context, heartbeat } from '@temporalio/activity';
import { COMPLIANCE_STREAM, type ChainVerificationResult } from '../core/retention/types';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { readPinnedKeys } from '../ledger/keys';
import { verifyLedger } from '../ledger/verify';
import { loadConfig } from '../runtime/config';
import { activityAuditContext, businessEventKey } from './audit-context';

/**
 * Scheduled chain verification. Incremental: each stream is verified by the ledger's verifier
 * (ledger/verify.ts) from just after the last checkpoint a previous successful run proved
 * (`provenTreeSize`). The rows up to that checkpoint are not re-hashed client-side; instead a
 * fingerprint (SHA-256 over the SHA-256 of every stored event row, computed inside PostgreSQL)
 * recorded by the previous run is recomputed and compared, so a row changed before the last
 * verified checkpoint is still caught: a mismatch triggers a full verification of that stream,
 * which locates the fault. Payload purges do not change event rows, so they never trip it.
 */

export interface VerifiedStreamState {
  stream: string;
  /** Last checkpoint tree size proven by the run (0: none). */
  verified_through: number;
  head_seq: number;
  fingerprint: string | null;
}

export interface VerifyActivityResult extends ChainVerificationResult {
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

async function streamsOf(db: Database, only?: string[]): Promise<string[]> {
  if (only?.length) return only;
  const r = await db.$client.query<{ stream: string }>(
    'SELECT DISTINCT stream FROM ledger_events ORDER BY 1',
  );
  return r.rows.map((x) => x.stream);
}

/** Runs the chain verification (no ledger writes). */
export async function runChainVerification(
  db: Database,
  opts: { streams?: string[]; full?: boolean },
): Promise<VerifyActivityResult> {
  const config = loadConfig();
  const pinned = readPinnedKeys(config);
  const trustedKeys = pinned.size > 0 ? pinned : undefined;
  const previous = opts.full ? new Map<string, VerifiedStreamState>() : await lastVerifiedState(db);
  const result: VerifyActivityResult = {
    ok: true,
    streams: [],
    eventsChecked: 0,
    state: [],
    mode: {},
    warnings: [],
  };
  for (const stream of await streamsOf(db, opts.streams)) {
    const prev = previous.get(stream);
    let fromSeq = 1;
    let mode: VerifyActivityResult['mode'][string] = 'full';
    if (prev && prev.verified_through > 0) {
      const now = await streamFingerprint(db, stream, prev.verified_through);
      if (now === prev.fingerprint) {
        fromSeq = prev.verified_through + 1;
        mode = 'incremental';
      } else {
        mode = 'full (fingerprint mismatch)';
      }
    }
    const v = await verifyLedger(db, { stream, fromSeq, trustedKeys, onProgress: () => heartbeat() });
    const s = v.streams[0];
    let valid = v.valid;
    let detail = v.detail;
    let firstBadSeq = v.firstBadSeq;
    if (valid && mode === 'full (fingerprint mismatch)') {
      // The rows before the last verified checkpoint changed, yet they verify: they were rewritten
      // consistently (e.g. chain and checkpoints re-signed). Still a tamper alert.
      valid = false;
      detail = `stored events 1..${prev?.verified_through} changed since the last verification (fingerprint mismatch)`;
      firstBadSeq = firstBadSeq ?? 1;
    } else if (!valid && mode === 'full (fingerprint mismatch)') {
      detail = `${detail ?? 'invalid'} (found after a fingerprint mismatch of events 1..${prev?.verified_through})`;
    }
    result.warnings.push(...v.warnings);
    result.mode[stream] = mode;
    result.eventsChecked += v.eventsChecked;
    result.streams.push({ stream, valid, fromSeq, eventsChecked: v.eventsChecked, detail, firstBadSeq });
    if (!valid) result.ok = false;
    let proven = s?.provenTreeSize ?? 0;
    if (valid && proven === 0 && (s?.checkpointsChecked ?? 0) > 0) {
      // Keys not pinned outside the DB: fall back to the last stored checkpoint the run checked.
      const cp = await db.$client.query<{ n: number | null }>(
        'SELECT max(tree_size) AS n FROM ledger_checkpoints WHERE stream = $1 AND tree_size <= $2',
        [stream, s?.headSeq ?? 0],
      );
      proven = Number(cp.rows[0]?.n ?? 0);
    }
    const through = valid ? Math.max(proven, prev?.verified_through ?? 0) : (prev?.verified_through ?? 0);
    result.state.push({
      stream,
      verified_through: through,
      head_seq: s?.headSeq ?? 0,
      fingerprint: valid ? await streamFingerprint(db, stream, through) : (prev?.fingerprint ?? null),
    });
  }
  result.warnings = [...new Set(result.warnings)];
  return result;
}

/** Activities of the `chainVerification` workflow. */
export function createVerificationActivities(deps: { db: Database; ledger: Ledger }) {
  return {
    async verifyLedgerChain(input: { streams?: string[]; full?: boolean }): Promise<VerifyActivityResult> {
      return runChainVerification(deps.db, input);
    },

    /** Records the outcome in the ledger; a failure also raises a `ledger.alert_raised` event. */
    async recordVerification(input: { result: VerifyActivityResult; requestedBy: string }): Promise<{
      recorded: { stream: string; seq: number };
      alert?: { stream: string; seq: number };
    }> {
      const { result } = input;
      const info = Context.current().info;
      const bad = result.streams.find((s) => !s.valid);
      const detail = bad
        ? `stream ${bad.stream}: ${bad.detail ?? 'invalid'} (first bad seq ${bad.firstBadSeq})`
        : null;
      const recorded = await deps.ledger.append(
        {
          event_type: result.ok ? 'ledger.verification_completed' : 'ledger.verification_failed',
          actor: { type: 'workflow', id: info.workflowType ?? 'chainVerification' },
          resource: { type: 'ledger', id: 'chain' },
          action: 'verify',
          outcome: result.ok ? 'success' : 'error',
          context: activityAuditContext('record-verification'),
          payload: {
            requested_by: input.requestedBy,
            ok: result.ok,
            events_checked: result.eventsChecked,
            streams: result.streams.map((s) => ({ ...s })),
            mode: result.mode,
            state: result.state.map((s) => ({ ...s })),
            warnings: result.warnings,
            detail,
          },
        },
        { stream: COMPLIANCE_STREAM, idempotencyKey: businessEventKey('record-verification') },
      );
      let alert: { stream: string; seq: number } | undefined;
      if (!result.ok) {
        const a = await deps.ledger.append(
          {
            event_type: 'ledger.alert_raised',
            actor: { type: 'workflow', id: info.workflowType ?? 'chainVerification' },
            resource: { type: 'ledger', id: bad?.stream ?? 'chain' },
            action: 'alert',
            outcome: 'error',
            context: activityAuditContext('raise-alert'),
            payload: {
              severity: 'critical',
              kind: 'chain_verification_failed',
              detail,
              verification_seq: recorded.seq,
            },
          },
          { stream: COMPLIANCE_STREAM, idempotencyKey: businessEventKey('raise-alert') },
        );
        alert = { stream: a.stream, seq: a.seq };
      }
      return { recorded: { stream: recorded.stream, seq: recorded.seq }, alert };
    },
  };
}
