import { hash } from 'node:crypto';
import { decomposeRange, inclusionProofRanges, type PerfectNode } from '../../core/merkle';
import type { PoolClient } from 'pg';
import { TILE_HEIGHT } from '../../ledger/checkpoint';

const TILE = 2 ** TILE_HEIGHT;
const H = 32;
/** Leaf tiles of one stream kept between pages (16 KiB each, 8 MiB a stream; an export reads in time order, so recent tiles are reused). */
const TILE_CACHE = 512;

// One scratch buffer for `0x00 || data` and `0x01 || left || right`: no allocation but the digest.
const scratch = Buffer.alloc(1 + 2 * H);
function leafInto(src: Buffer, at: number, dst: Buffer, to: number): void {
  scratch[0] = 0;
  src.copy(scratch, 1, at, at + H);
  hash('sha256', scratch.subarray(0, 1 + H), 'buffer').copy(dst, to);
}
function nodeInto(left: Buffer, l: number, right: Buffer, r: number, dst: Buffer, to: number): void {
  scratch[0] = 1;
  left.copy(scratch, 1, l, l + H);
  right.copy(scratch, 1 + H, r, r + H);
  hash('sha256', scratch, 'buffer').copy(dst, to);
}

/** The levels of a perfect-tree fragment, each a packed run of 32-byte hashes, level 0 first. */
type Levels = Buffer[];

/** Builds every level above `bottom` (pairs of packed hashes), as far as pairs exist. */
function buildUp(bottom: Buffer): Levels {
  const levels: Levels = [bottom];
  for (let below = bottom; below.length >= 2 * H;) {
    const n = Math.floor(below.length / (2 * H));
    const up = Buffer.allocUnsafe(n * H);
    for (let i = 0; i < n; i++) nodeInto(below, 2 * i * H, below, (2 * i + 1) * H, up, i * H);
    levels.push(up);
    below = up;
  }
  return levels;
}

/**
 * Inclusion proofs for many events of one stream against its tree of `treeSize` leaves, from
 * one pass over what they share: the stored 256-leaf tiles (ledger_merkle_tiles, level 8,
 * written by every checkpoint) give every subtree of 256 leaves or more, and each leaf tile an
 * event sits in is read once (its event hashes, one query for a whole page) and hashed once for
 * all of its events. Subtrees on the tree's right edge are folded once and reused.
 */
export class StreamProofs {
  private upper: Levels | undefined;
  private readonly tiles = new Map<number, Levels>();
  private readonly ranges = new Map<string, Buffer>();

  constructor(
    readonly stream: string,
    readonly treeSize: number,
    /** Leaf tiles kept between pages. */
    private readonly cacheTiles = TILE_CACHE,
  ) {}

  /** Leaf tiles that proofs of `seqs` need and that are not loaded yet (always including the partial last tile). */
  missingTiles(seqs: Iterable<number>): number[] {
    const want = new Set<number>();
    for (const seq of seqs) want.add(Math.floor((seq - 1) / TILE));
    if (this.treeSize % TILE !== 0) want.add(Math.floor(this.treeSize / TILE));
    this.trim(want);
    return [...want].filter((t) => !this.tiles.has(t));
  }

  get needsUpper(): boolean {
    return this.upper === undefined;
  }

  /** Sets the packed level-8 tile hashes of every complete tile (indexes 0 .. treeSize/256 - 1). */
  setUpper(packed: Buffer): void {
    const complete = Math.floor(this.treeSize / TILE);
    if (packed.length !== complete * H)
      throw new Error(
        `stream ${this.stream}: expected ${complete} stored tiles below ${this.treeSize}, found ${packed.length / H}`,
      );
    this.upper = buildUp(packed);
  }

  /** Sets one leaf tile from its packed event hashes (256, or fewer for the last tile). */
  setTile(tile: number, eventHashes: Buffer): void {
    const expected = Math.min(TILE, this.treeSize - tile * TILE);
    if (eventHashes.length !== expected * H)
      throw new Error(
        `stream ${this.stream}: tile ${tile} has ${eventHashes.length / H} of ${expected} events`,
      );
    const leaves = Buffer.allocUnsafe(eventHashes.length);
    for (let i = 0; i < expected; i++) leafInto(eventHashes, i * H, leaves, i * H);
    this.tiles.set(tile, buildUp(leaves));
  }

  /** Drops loaded leaf tiles beyond the cache size, oldest first, keeping those in `keep`. */
  trim(keep: Set<number>): void {
    const partial = Math.floor(this.treeSize / TILE);
    for (const t of this.tiles.keys()) {
      if (this.tiles.size <= this.cacheTiles) return;
      if (t !== partial && !keep.has(t)) this.tiles.delete(t);
    }
  }

  private perfect(p: PerfectNode): Buffer {
    let levels: Levels | undefined;
    let index = p.index;
    let level = p.level;
    if (p.level >= TILE_HEIGHT) {
      levels = this.upper;
      level -= TILE_HEIGHT;
    } else {
      const tile = Math.floor((p.index * 2 ** p.level) / TILE);
      levels = this.tiles.get(tile);
      index -= tile * (TILE >> p.level);
    }
    const row = levels?.[level];
    if (!row || (index + 1) * H > row.length)
      throw new Error(`stream ${this.stream}: subtree ${p.level}:${p.index} is not loaded`);
    return row.subarray(index * H, (index + 1) * H);
  }

  private rangeHash(lo: number, hi: number): Buffer {
    const parts = decomposeRange(lo, hi);
    if (parts.length === 1) return this.perfect(parts[0] as PerfectNode);
    const key = `${lo}:${hi}`;
    const hit = this.ranges.get(key);
    if (hit) return hit;
    let r = this.perfect(parts[parts.length - 1] as PerfectNode);
    for (let i = parts.length - 2; i >= 0; i--) {
      const out = Buffer.allocUnsafe(H);
      nodeInto(this.perfect(parts[i] as PerfectNode), 0, r, 0, out, 0);
      r = out;
    }
    this.ranges.set(key, r);
    return r;
  }

  /** The audit path of event `seq` (hex, leaf first); its tiles must be loaded (see {@link loadProofInputs}). */
  proof(seq: number): string[] {
    return inclusionProofRanges(seq - 1, this.treeSize).map(([lo, hi]) =>
      this.rangeHash(lo, hi).toString('hex'),
    );
  }
}

/**
 * Loads what proofs of `need` (events by stream) require and is not loaded yet: the stored
 * tiles of streams seen for the first time (one query), and the event hashes of the missing
 * leaf tiles (one query). Throws when the database lacks a tile or an event the tree covers.
 */
export async function loadProofInputs(
  db: Pick<PoolClient, 'query'>,
  need: Array<{ proofs: StreamProofs; seqs: number[] }>,
): Promise<void> {
  const fresh = need.filter((n) => n.proofs.needsUpper).map((n) => n.proofs);
  if (fresh.length > 0) {
    const r = await db.query<{ stream: string; hashes: Buffer | null }>(
      // Correlated subqueries: one index range scan per stream (a join would scan the table).
      `SELECT h.s AS stream,
              (SELECT string_agg(t.hash, ''::bytea ORDER BY t.idx) FROM ledger_merkle_tiles t
                WHERE t.stream = h.s AND t.level = ${TILE_HEIGHT} AND t.idx < h.n / ${TILE}) AS hashes
         FROM unnest($1::text[], $2::bigint[]) AS h(s, n)`,
      [fresh.map((p) => p.stream), fresh.map((p) => p.treeSize)],
    );
    const got = new Map(r.rows.map((x) => [x.stream, x.hashes ?? Buffer.alloc(0)]));
    for (const p of fresh) p.setUpper(got.get(p.stream) ?? Buffer.alloc(0));
  }
  const streams: string[] = [];
  const tiles: number[] = [];
  const sizes: number[] = [];
  const byStream = new Map<string, StreamProofs>();
  for (const n of need) {
    byStream.set(n.proofs.stream, n.proofs);
    for (const t of n.proofs.missingTiles(n.seqs)) {
      streams.push(n.proofs.stream);
      tiles.push(t);
      sizes.push(n.proofs.treeSize);
    }
  }
  if (tiles.length === 0) return;
  const r = await db.query<{ stream: string; tile: string; hashes: Buffer | null }>(
    `SELECT t.s AS stream, t.tile::text AS tile,
            (SELECT string_agg(e.hash, ''::bytea ORDER BY e.seq) FROM ledger_events e
              WHERE e.stream = t.s AND e.seq > t.tile * ${TILE}
                AND e.seq <= least(t.tile * ${TILE} + ${TILE}, t.n)) AS hashes
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(s, tile, n)`,
    [streams, tiles, sizes],
  );
  for (const row of r.rows)
    byStream.get(row.stream)?.setTile(Number(row.tile), row.hashes ?? Buffer.alloc(0));
}
