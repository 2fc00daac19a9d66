import {
  NO_PREVIOUS_HEAD,
  headDigest,
  parseHead,
  signHead,
  type HeadEntry,
  type ParsedHead,
} from '../core/ledger-head';
import type { Signer } from '../core/signing';
import { formatMicros } from '../core/time';
import type { Database } from '../db/client';
import { parseCheckpoint } from '../core/checkpoint';
import { createCheckpoint } from './checkpoint';

const HEAD_LOCK = 1818580809;

/**
 * Every stream with events (a loose index scan over (stream, seq)), with its head seq and its
 * latest checkpoint: one round trip, however many streams.
 */
async function streamStates(
  db: Database,
): Promise<Array<{ stream: string; headSeq: number; checkpoint: string | null }>> {
  const r = await db.$client.query<{ stream: string; head_seq: string; checkpoint: string | null }>(
    `WITH RECURSIVE s AS (
       (SELECT stream FROM ledger_events ORDER BY stream LIMIT 1)
       UNION ALL
       SELECT (SELECT e.stream FROM ledger_events e WHERE e.stream > s.stream ORDER BY e.stream LIMIT 1)
         FROM s WHERE s.stream IS NOT NULL)
     SELECT s.stream,
            (SELECT e.seq FROM ledger_events e WHERE e.stream = s.stream ORDER BY e.seq DESC LIMIT 1)::text AS head_seq,
            (SELECT c.checkpoint FROM ledger_checkpoints c WHERE c.stream = s.stream
              ORDER BY c.tree_size DESC LIMIT 1) AS checkpoint
       FROM s WHERE s.stream IS NOT NULL`,
  );
  return r.rows.map((x) => ({ stream: x.stream, headSeq: Number(x.head_seq), checkpoint: x.checkpoint }));
}

/** The latest stored ledger head, or null. */
export async function latestHead(db: Database): Promise<ParsedHead | null> {
  const r = await db.$client.query<{ head: string }>(
    'SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1',
  );
  return r.rows[0] ? parseHead(r.rows[0].head) : null;
}

/**
 * Signs a new ledger head: checkpoints every stream whose head moved (so quiet streams are signed
 * too), then one head listing every stream's size and root, chained to the previous head. A
 * stream the previous head listed is never dropped or shrunk (a concurrent, older view cannot
 * roll the head back). Returns the previous head unchanged (created false) when nothing moved.
 */
export async function createHead(
  db: Database,
  signer: Signer,
  opts: {
    registeredKeys?: Set<string>;
    durable?: boolean;
    /** List this stream at its latest checkpoint instead of checkpointing it (the cadence just did). */
    latestFor?: string;
  } = {},
): Promise<{ head: ParsedHead; created: boolean }> {
  const entries = new Map<string, HeadEntry>();
  for (const { stream, headSeq, checkpoint } of await streamStates(db)) {
    const latest = checkpoint ? parseCheckpoint(checkpoint) : null;
    // Only streams whose head moved past their latest checkpoint are checkpointed (that call
    // would return the latest one unchanged for the others).
    const cp =
      stream === opts.latestFor || (latest && latest.treeSize >= headSeq)
        ? latest && { treeSize: latest.treeSize, rootHash: latest.rootHash }
        : await createCheckpoint(db, signer, {
            stream,
            registeredKeys: opts.registeredKeys,
            durable: opts.durable,
          }).then((c) => c && { treeSize: c.treeSize, rootHash: Buffer.from(c.rootHash, 'hex') });
    if (cp) entries.set(stream, { stream, treeSize: cp.treeSize, rootHash: cp.rootHash });
  }
  const client = await db.$client.connect();
  try {
    await client.query(
      `BEGIN;${opts.durable === false ? ' SET LOCAL synchronous_commit = off;' : ''}
       SELECT pg_advisory_xact_lock(${HEAD_LOCK})`,
    );
    const last = await client.query<{ head: string; now_us: string }>(
      `SELECT (SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1) AS head,
              ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint)::text AS now_us`,
    );
    const prev = last.rows[0]?.head ? parseHead(last.rows[0].head) : null;
    for (const e of prev?.streams ?? []) {
      const now = entries.get(e.stream);
      if (!now || now.treeSize < e.treeSize) entries.set(e.stream, e);
    }
    const unchanged =
      prev &&
      prev.streams.length === entries.size &&
      prev.streams.every((e) => entries.get(e.stream)?.treeSize === e.treeSize);
    if (prev && unchanged) {
      await client.query('COMMIT');
      return { head: prev, created: false };
    }
    const version = (prev?.version ?? 0) + 1;
    const previous = prev ? headDigest(prev.body) : NO_PREVIOUS_HEAD;
    const text = signHead(
      {
        version,
        previous,
        timestamp: formatMicros(last.rows[0]?.now_us ?? 0),
        streams: [...entries.values()],
      },
      signer,
    );
    await client.query(
      `INSERT INTO ledger_heads (version, previous, key_id, signed_at, head)
       VALUES ($1, $2, $3, to_timestamp($4::double precision / 1000000), $5)`,
      [version, Buffer.from(previous, 'hex'), signer.keyId, last.rows[0]?.now_us, text],
    );
    await client.query('COMMIT');
    return { head: parseHead(text), created: true };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
