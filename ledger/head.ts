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
import type { PoolClient, QueryResult } from 'pg';
import type { Database } from '../db/client';
import { parseCheckpoint } from '../core/checkpoint';
import { createCheckpoint } from './checkpoint';

const HEAD_LOCK = 1818580809;

/**
 * Every stream with events (a loose index scan over (stream, seq)), with its head seq and its
 * latest checkpoint: one statement, however many streams.
 */
const STREAM_STATES_SQL = `WITH RECURSIVE s AS (
       (SELECT stream FROM ledger_events ORDER BY stream LIMIT 1)
       UNION ALL
       SELECT (SELECT e.stream FROM ledger_events e WHERE e.stream > s.stream ORDER BY e.stream LIMIT 1)
         FROM s WHERE s.stream IS NOT NULL)
     SELECT s.stream,
            (SELECT e.seq FROM ledger_events e WHERE e.stream = s.stream ORDER BY e.seq DESC LIMIT 1)::text AS head_seq,
            (SELECT c.checkpoint FROM ledger_checkpoints c WHERE c.stream = s.stream
              ORDER BY c.tree_size DESC LIMIT 1) AS checkpoint
       FROM s WHERE s.stream IS NOT NULL`;

interface StreamStateRow {
  stream: string;
  head_seq: string;
  checkpoint: string | null;
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
  // Checkpoints this call signed for streams whose head had moved past their latest one.
  const signed = new Map<string, HeadEntry>();
  for (let pass = 0; ; pass++) {
    const client = await db.$client.connect();
    let out: { head: ParsedHead; created: boolean } | { moved: string[] };
    try {
      out = await signLocked(client, signer, opts, signed, pass === 0);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (!('moved' in out)) return out;
    // Outside the head lock, holding no connection (a checkpoint takes a pool connection of its own).
    for (const stream of out.moved) {
      const c = await createCheckpoint(db, signer, {
        stream,
        registeredKeys: opts.registeredKeys,
        durable: opts.durable,
      });
      if (c) signed.set(stream, { stream, treeSize: c.treeSize, rootHash: Buffer.from(c.rootHash, 'hex') });
    }
  }
}

/**
 * The head transaction in two round trips: open + lock + read every stream's state and the last
 * head (simple protocol, several statements), then insert + commit. On the first pass, when a
 * stream other than `latestFor` moved past its latest checkpoint, rolls back and names the
 * streams to checkpoint first; on a later pass such a stream is listed at its latest checkpoint.
 */
async function signLocked(
  client: PoolClient,
  signer: Signer,
  opts: { durable?: boolean; latestFor?: string },
  signed: Map<string, HeadEntry>,
  firstPass: boolean,
): Promise<{ head: ParsedHead; created: boolean } | { moved: string[] }> {
  const opened = (await client.query(
    `BEGIN;${opts.durable === false ? ' SET LOCAL synchronous_commit = off;' : ''}
     SELECT pg_advisory_xact_lock(${HEAD_LOCK});
     ${STREAM_STATES_SQL};
     SELECT (SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1) AS head,
            ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint)::text AS now_us`,
  )) as unknown as QueryResult[];
  const states = (opened[opened.length - 2] as QueryResult<StreamStateRow>).rows;
  const last = opened[opened.length - 1] as QueryResult<{ head: string | null; now_us: string }>;
  const entries = new Map<string, HeadEntry>();
  const moved: string[] = [];
  for (const { stream, head_seq, checkpoint } of states) {
    const latest = checkpoint ? parseCheckpoint(checkpoint) : null;
    const mine = signed.get(stream);
    const cp =
      mine && (!latest || mine.treeSize >= latest.treeSize)
        ? mine
        : latest && { stream, treeSize: latest.treeSize, rootHash: latest.rootHash };
    if (stream !== opts.latestFor && (cp?.treeSize ?? 0) < Number(head_seq) && !mine) moved.push(stream);
    if (cp) entries.set(stream, { stream, treeSize: cp.treeSize, rootHash: cp.rootHash });
  }
  if (moved.length > 0 && firstPass) {
    await client.query('ROLLBACK');
    return { moved };
  }
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
  const nowUs = BigInt(last.rows[0]?.now_us ?? 0);
  const text = signHead(
    { version, previous, timestamp: formatMicros(nowUs), streams: [...entries.values()] },
    signer,
  );
  await client.query(
    `INSERT INTO ledger_heads (version, previous, key_id, signed_at, head)
     VALUES (${version}, '\\x${previous}'::bytea, ${client.escapeLiteral(signer.keyId)},
             to_timestamp(${nowUs}::double precision / 1000000), ${client.escapeLiteral(text)});
     COMMIT`,
  );
  return { head: parseHead(text), created: true };
}
