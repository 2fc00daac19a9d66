import { leafHash, nodeHash, type PerfectNode } from '../../core/merkle';
import type { Database } from '../../db/client';

/** Streams up to this many leaves are held in memory for an export's proofs (32 bytes a leaf per level). */
export const MEMORY_TREE_MAX = 2_000_000;

/**
 * Every perfect subtree of one stream's tree of `size` leaves, built once from the event hashes:
 * an export's many proofs are then answered from memory (one read of the stream instead of
 * several queries per proof).
 */
export class MemoryTreeReader {
  private constructor(private readonly levels: Buffer[][]) {}

  static async load(db: Database, stream: string, size: number): Promise<MemoryTreeReader> {
    const r = await db.$client.query<{ hash: Buffer }>(
      'SELECT hash FROM ledger_events WHERE stream = $1 AND seq <= $2 ORDER BY seq',
      [stream, size],
    );
    if (r.rows.length !== size)
      throw new Error(`stream ${stream}: expected ${size} events, found ${r.rows.length}`);
    const levels: Buffer[][] = [r.rows.map((x) => leafHash(x.hash))];
    for (let level = levels[0] as Buffer[]; level.length > 1;) {
      const up: Buffer[] = [];
      for (let i = 0; i + 1 < level.length; i += 2)
        up.push(nodeHash(level[i] as Buffer, level[i + 1] as Buffer));
      levels.push(up);
      level = up;
    }
    return new MemoryTreeReader(levels);
  }

  async perfect(p: PerfectNode): Promise<Buffer> {
    const h = this.levels[p.level]?.[p.index];
    if (!h) throw new Error(`no subtree ${p.level}:${p.index}`);
    return h;
  }
}
