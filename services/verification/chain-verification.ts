import type { PublicKeyInfo } from '../../core/signing';
import type { Database } from '../../db/client';
import { verifyLedger } from '../../ledger/verify';
import {
  lastVerifiedState,
  streamFingerprint,
  type VerificationRunResult,
  type VerifiedStreamState,
} from './state';

/**
 * Scheduled chain verification. Incremental: each stream is verified by the ledger's verifier
 * (ledger/verify.ts) from just after the last checkpoint a previous successful run proved
 * (`provenTreeSize`). The rows up to that checkpoint are not re-hashed client-side; instead a
 * fingerprint (SHA-256 over the SHA-256 of every stored event row, computed inside PostgreSQL)
 * recorded by the previous run is recomputed and compared, so a row changed before the last
 * verified checkpoint is still caught: a mismatch triggers a full verification of that stream,
 * which locates the fault. Payload purges do not change event rows, so they never trip it.
 */

async function streamsOf(db: Database, only?: string[]): Promise<string[]> {
  if (only?.length) return only;
  const r = await db.$client.query<{ stream: string }>(
    'SELECT DISTINCT stream FROM ledger_events ORDER BY 1',
  );
  return r.rows.map((x) => x.stream);
}

/** What the verification reads: the database and the public keys pinned outside it. */
export interface VerificationDeps {
  db: Database;
  /**
   * The checkpoint keys pinned on this machine (ledger/keys.ts readPinnedKeys), read per run
   * because pinning can happen while the worker runs; empty: trust the keys stored in the DB.
   */
  pinnedKeys: () => Map<string, PublicKeyInfo>;
}

/** Runs the chain verification (no ledger writes); `onProgress` is called while verifying. */
export async function runChainVerification(
  deps: VerificationDeps,
  opts: { streams?: string[]; full?: boolean },
  onProgress: () => void = () => undefined,
): Promise<VerificationRunResult> {
  const { db } = deps;
  const pinned = deps.pinnedKeys();
  const trustedKeys = pinned.size > 0 ? pinned : undefined;
  const previous = opts.full ? new Map<string, VerifiedStreamState>() : await lastVerifiedState(db);
  const result: VerificationRunResult = {
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
    let mode: VerificationRunResult['mode'][string] = 'full';
    if (prev && prev.verified_through > 0) {
      const now = await streamFingerprint(db, stream, prev.verified_through);
      if (now === prev.fingerprint) {
        fromSeq = prev.verified_through + 1;
        mode = 'incremental';
      } else {
        mode = 'full (fingerprint mismatch)';
      }
    }
    const v = await verifyLedger(db, { stream, fromSeq, trustedKeys, onProgress });
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
