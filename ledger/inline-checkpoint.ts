import { signCheckpoint } from '../core/checkpoint';
import { CompactRange, leafHash } from '../core/merkle';
import type { Signer } from '../core/signing';
import { checkpointSizes, TILE_HEIGHT } from './checkpoint';

/**
 * The cadence checkpoints an append transaction signs itself (the ledger object's cadence, see
 * ledger/ledger.ts): when a batch crosses a multiple of `every`, its tiles and signed checkpoint
 * are written by the batch's last INSERT statement, so they commit with the events and cost no
 * round trip; the after-commit cadence then only signs the head. Sizes it signed are recorded
 * after the commit in `signed` and skipped by the after-commit checkpoint.
 */
export class InlineCheckpoints {
  private readonly signed = new Map<string, Set<number>>();
  private readonly heads = new Map<string, number>();
  private readonly bases = new Map<string, NextBase>();

  constructor(
    readonly every: number,
    readonly signer: Signer,
    /** Key ids registered in this database (the ledger object's set); nothing is signed inline before. */
    readonly registeredKeys: Set<string>,
  ) {}

  /**
   * Records a committed transaction: the stream's head after it, the sizes it signed, and the
   * base its next batch extends (null: none known).
   */
  committed(stream: string, headSeq: number, sizes: number[], next: NextBase | null = null): void {
    if (next) this.bases.set(stream, next);
    else this.bases.delete(stream);
    if (headSeq > (this.heads.get(stream) ?? 0)) this.heads.set(stream, headSeq);
    if (sizes.length === 0) return;
    let s = this.signed.get(stream);
    if (!s) this.signed.set(stream, (s = new Set()));
    for (const n of sizes) s.add(n);
  }

  /**
   * Whether `n` more events may cross a multiple of `every`, judged from the head this ledger
   * object last committed (another writer can only have moved it further; a miss falls back to
   * the after-commit checkpoint). Only then does a batch read the checkpoint base: the common
   * batch pays no extra statement.
   */
  mayCross(stream: string, n: number): boolean {
    const h = this.heads.get(stream);
    if (h === undefined || !this.registeredKeys.has(this.signer.keyId)) return false;
    return Math.floor((h + n) / this.every) > Math.floor(h / this.every);
  }

  /** Whether a base of `stream` is remembered (then the batch reads none before its head is known). */
  remembers(stream: string): boolean {
    return this.bases.has(stream);
  }

  /**
   * The remembered base of `stream` when the head is still the one it ends at (no other writer
   * since: same seq and same chain hash), else undefined and the batch reads it
   * ({@link CHECKPOINT_BASE_SQL}).
   */
  baseAt(stream: string, headSeq: number, headHash: Buffer | null): CheckpointBase | undefined {
    const b = this.bases.get(stream);
    if (!b || !headHash || Number(b.base.head_seq) !== headSeq || !b.headHash.equals(headHash))
      return undefined;
    return b.base;
  }

  /** Of `sizes`, those not signed inline yet (and forgets the ones that were). */
  remaining(stream: string, sizes: number[]): number[] {
    const s = this.signed.get(stream);
    if (!s) return sizes;
    const out = sizes.filter((n) => !s.delete(n));
    if (s.size === 0) this.signed.delete(stream);
    return out;
  }
}

/**
 * Sent right after `ledger_lock_head` in the same transaction: the latest checkpoint's frontier and
 * the hashes after it, only when a batch of up to $2 events would cross a multiple of $3 and that
 * checkpoint is at most $3 events behind the head (else no row: the after-commit path signs).
 */
export const CHECKPOINT_BASE_SQL = `WITH h AS (
    SELECT coalesce((SELECT seq FROM ledger_events WHERE stream = $1 ORDER BY seq DESC LIMIT 1), 0) AS seq),
  last AS (SELECT tree_size, frontier FROM ledger_checkpoints WHERE stream = $1 ORDER BY tree_size DESC LIMIT 1),
  b AS (SELECT coalesce((SELECT tree_size FROM last), 0) AS size,
               coalesce((SELECT frontier FROM last), '\\x'::bytea) AS frontier)
  SELECT h.seq::text AS head_seq, b.size::text AS tree_size, b.frontier,
         (SELECT coalesce(array_agg(e.hash ORDER BY e.seq), '{}') FROM ledger_events e
           WHERE e.stream = $1 AND e.seq > b.size AND e.seq <= h.seq) AS hashes
    FROM h, b
   WHERE (h.seq + $2::bigint) / $3::bigint > h.seq / $3::bigint AND b.size >= h.seq - $3::bigint AND b.size <= h.seq`;

/**
 * What a committed batch leaves for the next one: its last signed checkpoint's frontier and the
 * hashes after it (a {@link CheckpointBase} as {@link CHECKPOINT_BASE_SQL} would read it), and the
 * chain hash of the head it ends at. The next batch of this ledger object then reads no base.
 */
export interface NextBase {
  base: CheckpointBase;
  headHash: Buffer;
}

/**
 * The base after a batch that appended `batchHashes` (seqs `headSeq + 1 ..`) onto `before` (the
 * base it started from, when known), signing `signed`; null when none is known or it would
 * reach further back than `every` events (then the next batch reads it).
 */
export function nextBase(
  before: CheckpointBase | undefined,
  headSeq: number,
  batchHashes: Buffer[],
  signed: InlineRows | null,
  every: number,
): NextBase | null {
  const headHash = batchHashes.at(-1);
  if (!headHash) return null;
  const headAfter = String(headSeq + batchHashes.length);
  const size = signed?.sizes.at(-1);
  const frontier = signed?.frontiers.at(-1);
  if (size !== undefined && frontier)
    return {
      base: {
        head_seq: headAfter,
        tree_size: String(size),
        frontier,
        hashes: batchHashes.slice(size - headSeq),
      },
      headHash,
    };
  if (!before) return null;
  const hashes = [...before.hashes, ...batchHashes];
  if (hashes.length > every) return null;
  return { base: { ...before, head_seq: headAfter, hashes }, headHash };
}

/** A row of {@link CHECKPOINT_BASE_SQL}. */
export interface CheckpointBase {
  head_seq: string;
  tree_size: string;
  frontier: Buffer;
  hashes: Buffer[];
}

/** Tiles and signed checkpoints of the sizes a batch crossed, as columns for the INSERT. */
export interface InlineRows {
  sizes: number[];
  roots: Buffer[];
  frontiers: Buffer[];
  texts: string[];
  tileLevel: number[];
  tileIdx: number[];
  tileHash: Buffer[];
}

/**
 * Extends the base checkpoint's frontier with the events after it and the batch's new hashes
 * (seqs `headSeq + 1 ..`), signing a checkpoint at every multiple of `every` crossed, with the
 * tiles completed up to it: what `createCheckpoint` at each size would write (same range
 * arithmetic), timestamped with the batch's clock reading.
 */
export function inlineRows(
  base: CheckpointBase,
  newHashes: Buffer[],
  stream: string,
  every: number,
  signer: Signer,
  timestamp: string,
): InlineRows | null {
  const headSeq = Number(base.head_seq);
  const sizes = checkpointSizes(every, headSeq + 1, headSeq + newHashes.length);
  if (sizes.length === 0) return null;
  const range = CompactRange.fromBytes(Number(base.tree_size), base.frontier);
  if (range.size + base.hashes.length !== headSeq) return null;
  const out: InlineRows = {
    sizes,
    roots: [],
    frontiers: [],
    texts: [],
    tileLevel: [],
    tileIdx: [],
    tileHash: [],
  };
  const pending = { level: [] as number[], idx: [] as number[], hash: [] as Buffer[] };
  const onPerfect = (level: number, idx: number, hash: Buffer) => {
    if (level % TILE_HEIGHT !== 0) return;
    pending.level.push(level);
    pending.idx.push(idx);
    pending.hash.push(hash);
  };
  for (const h of base.hashes) range.append(leafHash(h), onPerfect);
  let next = 0;
  for (const h of newHashes) {
    range.append(leafHash(h), onPerfect);
    if (range.size !== sizes[next]) continue;
    const rootHash = range.root();
    out.roots.push(rootHash);
    out.frontiers.push(range.toBytes());
    out.texts.push(signCheckpoint({ stream, treeSize: range.size, rootHash, timestamp }, signer));
    out.tileLevel.push(...pending.level.splice(0));
    out.tileIdx.push(...pending.idx.splice(0));
    out.tileHash.push(...pending.hash.splice(0));
    if (++next === sizes.length) break;
  }
  return out;
}
