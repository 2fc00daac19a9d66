import type { PoolClient, QueryResult } from 'pg';
import { StreamSchema, describeZodError } from '../core/audit-event';
import { parseCheckpoint, signCheckpoint, type ParsedCheckpoint } from '../core/checkpoint';
import { CompactRange, EMPTY_ROOT, leafHash, nodeHash, type PerfectNode } from '../core/merkle';
import type { Signer } from '../core/signing';
import { formatMicros } from '../core/time';
import type { Database } from '../db/client';
import { LedgerValidationError } from './errors';

/** Tiles are perfect subtrees of 2^8 = 256 leaves, and of 256 tiles of the level below. */
export const TILE_HEIGHT = 8;
/** Default cadence of the append path: a signed checkpoint whenever a stream crosses a multiple of this. */
export const DEFAULT_CHECKPOINT_EVERY = 1024;

const CHECKPOINT_LOCK = 1818580808;

/** A stored checkpoint. */
export interface CheckpointInfo {
  stream: string;
  treeSize: number;
  rootHash: string;
  keyId: string;
  timestamp: string;
  /** The signed checkpoint text. */
  text: string;
  /** False when the latest checkpoint already covered the head and nothing was written. */
  created: boolean;
}

function checkStream(stream: string | undefined): string {
  const s = StreamSchema.safeParse(stream);
  if (!s.success) throw new LedgerValidationError(`invalid stream: ${describeZodError(s.error)}`);
  return s.data;
}

function toInfo(cp: ParsedCheckpoint, created: boolean): CheckpointInfo {
  return {
    stream: cp.stream,
    treeSize: cp.treeSize,
    rootHash: cp.rootHash.toString('hex'),
    keyId: cp.signatures[0]?.keyId ?? '',
    timestamp: cp.timestamp,
    text: cp.text,
    created,
  };
}

/** Records a signing key's public half in the database (informational; verifiers pin keys elsewhere). */
export async function registerSigningKey(
  db: Database | PoolClient,
  signer: Pick<Signer, 'keyId' | 'publicKey'>,
): Promise<void> {
  const q: Pick<PoolClient, 'query'> = '$client' in db ? db.$client : db;
  await q.query(
    `INSERT INTO ledger_signing_keys (key_id, algorithm, public_key) VALUES ($1, 'ed25519', $2) ON CONFLICT (key_id) DO NOTHING`,
    [signer.keyId, signer.publicKey],
  );
}

/**
 * Makes a signed checkpoint of `stream` at its current head, unless the latest one already
 * covers it. Extends the previous checkpoint's stored frontier with only the new events' hashes
 * and stores every completed 256-leaf tile (and tile of tiles), so cost is proportional to the
 * events since the last checkpoint, never to the whole stream. Serialised per stream.
 */
export async function createCheckpoint(
  db: Database,
  signer: Signer,
  opts: {
    /** Key ids this caller already registered (skips the insert); the ledger object keeps one set. */
    registeredKeys?: Set<string>;
    stream?: string;
    /**
     * Wait for the commit to be flushed (default true). The append path's cadence passes false:
     * a checkpoint lost in a crash is re-derived from the (durably committed) events next time,
     * and skipping the extra WAL flush keeps checkpoints nearly free.
     */
    durable?: boolean;
    /** Checkpoint at this tree size instead of the head (the cadence signs every multiple it crossed). */
    atSize?: number;
  } = {},
): Promise<CheckpointInfo | null> {
  const stream = checkStream(opts.stream);
  const client = await db.$client.connect();
  try {
    if (!opts.registeredKeys?.has(signer.keyId)) {
      await registerSigningKey(client, signer);
      opts.registeredKeys?.add(signer.keyId);
    }
    // Two round trips: open + lock + read (last checkpoint, head, the new hashes), then write
    // (tiles and checkpoint) + COMMIT, each as several statements in the simple protocol (values
    // inline: stream names are a-z0-9_.-, checked above; sizes are integers; bytes are hex).
    const s = client.escapeLiteral(stream);
    const atSize = opts.atSize === undefined ? 'NULL' : String(Math.floor(Number(opts.atSize)));
    const opened = (await client.query(
      `BEGIN;${opts.durable === false ? ' SET LOCAL synchronous_commit = off;' : ''}
       SELECT pg_advisory_xact_lock(${CHECKPOINT_LOCK}, hashtext(${s}));
       WITH last AS (SELECT tree_size, frontier, checkpoint FROM ledger_checkpoints WHERE stream = ${s}
                      ORDER BY tree_size DESC LIMIT 1),
            head AS (SELECT least(coalesce((SELECT seq FROM ledger_events WHERE stream = ${s} ORDER BY seq DESC LIMIT 1), 0),
                                  coalesce(${atSize}::bigint, 9223372036854775807)) AS seq)
       SELECT last.tree_size, last.frontier, last.checkpoint, head.seq::text AS head_seq,
              ((extract(epoch FROM clock_timestamp()) * 1000000)::bigint)::text AS now_us,
              (SELECT array_agg(e.hash ORDER BY e.seq) FROM ledger_events e
                WHERE e.stream = ${s} AND e.seq > coalesce(last.tree_size, 0) AND e.seq <= head.seq) AS hashes
         FROM head LEFT JOIN last ON true`,
    )) as unknown as QueryResult[];
    const read = opened[opened.length - 1] as QueryResult<{
      tree_size: number | null;
      frontier: Buffer | null;
      checkpoint: string | null;
      head_seq: string;
      now_us: string;
      hashes: Buffer[] | null;
    }>;
    const row = read.rows[0];
    const prev =
      row?.tree_size != null && row.frontier && row.checkpoint
        ? { tree_size: Number(row.tree_size), frontier: row.frontier, checkpoint: row.checkpoint }
        : undefined;
    const headSeq = Number(row?.head_seq ?? 0);
    if (headSeq === 0 || (prev && prev.tree_size >= headSeq)) {
      await client.query('COMMIT');
      return prev ? toInfo(parseCheckpoint(prev.checkpoint), false) : null;
    }
    const range = prev ? CompactRange.fromBytes(prev.tree_size, prev.frontier) : new CompactRange();
    const from = range.size;
    const hashes = row?.hashes ?? [];
    if (hashes.length !== headSeq - from) {
      throw new Error(
        `stream ${stream}: expected ${headSeq - from} events after seq ${from}, found ${hashes.length}`,
      );
    }
    const tiles = { level: [] as number[], idx: [] as number[], hash: [] as Buffer[] };
    for (const h of hashes) {
      range.append(leafHash(h), (level, idx, hash) => {
        if (level % TILE_HEIGHT === 0) {
          tiles.level.push(level);
          tiles.idx.push(idx);
          tiles.hash.push(hash);
        }
      });
    }
    const cp = {
      stream,
      treeSize: headSeq,
      rootHash: range.root(),
      timestamp: formatMicros(row?.now_us ?? 0),
    };
    const text = signCheckpoint(cp, signer);
    const hex = (b: Buffer) => `'\\x${b.toString('hex')}'::bytea`;
    const tileRows = tiles.idx.map(
      (idx, k) => `(${s}, ${tiles.level[k]}, ${idx}, ${hex(tiles.hash[k] as Buffer)})`,
    );
    const nowUs = BigInt(row?.now_us ?? 0);
    await client.query(
      `${tileRows.length > 0 ? `INSERT INTO ledger_merkle_tiles (stream, level, idx, hash) VALUES ${tileRows.join(', ')} ON CONFLICT DO NOTHING;` : ''}
       INSERT INTO ledger_checkpoints (stream, tree_size, root_hash, frontier, key_id, signed_at, checkpoint)
       VALUES (${s}, ${headSeq}, ${hex(cp.rootHash)}, ${hex(range.toBytes())}, ${client.escapeLiteral(signer.keyId)},
               to_timestamp(${nowUs}::double precision / 1000000), ${client.escapeLiteral(text)});
       COMMIT`,
    );
    return toInfo(parseCheckpoint(text), true);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** True when appending seqs `firstSeq..lastSeq` crossed a multiple of `every` (the checkpoint cadence). */
export function checkpointDue(every: number, firstSeq: number, lastSeq: number): boolean {
  return checkpointSizes(every, firstSeq, lastSeq).length > 0;
}

/** The multiples of `every` in `firstSeq..lastSeq`: the tree sizes the cadence signs. */
export function checkpointSizes(every: number, firstSeq: number, lastSeq: number): number[] {
  const out: number[] = [];
  if (every <= 0) return out;
  for (let k = Math.ceil(firstSeq / every) * every; k <= lastSeq; k += every) out.push(k);
  return out;
}

/** The latest stored checkpoint of a stream, or null. */
export async function latestCheckpoint(db: Database, stream = 'default'): Promise<ParsedCheckpoint | null> {
  const r = await db.$client.query<{ checkpoint: string }>(
    'SELECT checkpoint FROM ledger_checkpoints WHERE stream = $1 ORDER BY tree_size DESC LIMIT 1',
    [checkStream(stream)],
  );
  return r.rows[0] ? parseCheckpoint(r.rows[0].checkpoint) : null;
}

/**
 * Reads hashes of perfect subtrees from the database: tiles where stored, else computed from the
 * level below (event hashes at the bottom). One query per requested subtree.
 */
export class DbTreeReader {
  private readonly cache = new Map<string, Buffer>();
  constructor(
    private readonly db: Database,
    private readonly stream: string,
  ) {}

  async perfect(p: PerfectNode): Promise<Buffer> {
    const key = `${p.level}:${p.index}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let h: Buffer | undefined;
    if (p.level > 0 && p.level % TILE_HEIGHT === 0) {
      const r = await this.db.$client.query<{ hash: Buffer }>(
        'SELECT hash FROM ledger_merkle_tiles WHERE stream = $1 AND level = $2 AND idx = $3',
        [this.stream, p.level, p.index],
      );
      h = r.rows[0]?.hash;
    }
    if (!h) {
      const base =
        p.level === 0
          ? 0
          : p.level % TILE_HEIGHT === 0
            ? p.level - TILE_HEIGHT
            : p.level - (p.level % TILE_HEIGHT);
      const count = 2 ** (p.level - base);
      const children = await this.level(base, p.index * count, count);
      h = foldPerfect(children);
    }
    this.cache.set(key, h);
    return h;
  }

  /** Hashes at `level` for indexes `start .. start+count-1`. */
  private async level(level: number, start: number, count: number): Promise<Buffer[]> {
    if (level === 0) {
      const r = await this.db.$client.query<[Buffer]>({
        text: 'SELECT hash FROM ledger_events WHERE stream = $1 AND seq > $2 AND seq <= $3 ORDER BY seq',
        values: [this.stream, start, start + count],
        rowMode: 'array',
      });
      if (r.rows.length !== count)
        throw new Error(`stream ${this.stream}: events ${start + 1}..${start + count} are incomplete`);
      return r.rows.map(([h]) => leafHash(h));
    }
    const r = await this.db.$client.query<{ idx: number; hash: Buffer }>(
      'SELECT idx, hash FROM ledger_merkle_tiles WHERE stream = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx',
      [this.stream, level, start, start + count],
    );
    const byIdx = new Map(r.rows.map((row) => [Number(row.idx), row.hash]));
    const out: Buffer[] = [];
    for (let i = start; i < start + count; i++)
      out.push(byIdx.get(i) ?? (await this.perfect({ level, index: i })));
    return out;
  }
}

/** Root of a perfect tree whose bottom row is `hashes` (a power of two of them). */
function foldPerfect(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let row = hashes;
  while (row.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i] as Buffer, row[i + 1] as Buffer));
    row = next;
  }
  return row[0] as Buffer;
}
