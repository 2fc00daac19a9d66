import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ChunkResult } from './verify-chunk';

/**
 * Default worker count: the cores left beside this thread and one for PostgreSQL's COPY, at
 * most 4 (none on a 2-core machine, where a worker only competes with both).
 */
export function defaultVerifyWorkers(): number {
  return Math.max(0, Math.min(4, os.availableParallelism() - 2));
}

type Reply = ChunkResult & { id: number };
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Worker threads that check chunks of verification rows (ledger/verify-chunk.ts) in parallel.
 * Loaded through tsx like the rest of the code; the workers are unref'd, so an idle pool never
 * keeps a process alive, and one pool per process is shared by every verification.
 */
class VerifyPool {
  private readonly workers: Array<{ w: Worker; busy: number }> = [];
  private readonly waiting = new Map<
    number,
    { resolve: (r: ChunkResult) => void; reject: (e: unknown) => void }
  >();
  private nextId = 0;

  constructor(size: number) {
    const entry = path.join(__dirname, 'verify-worker.ts');
    for (let i = 0; i < size; i++) {
      const w = new Worker(`require('tsx/cjs'); require(${JSON.stringify(entry)});`, { eval: true });
      const slot = { w, busy: 0 };
      w.on('message', (m: Reply) => {
        slot.busy--;
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        p?.resolve({
          ...m,
          firstPrev: asBuffer(m.firstPrev),
          lastHash: asBuffer(m.lastHash),
          beforeLastHash: asBuffer(m.beforeLastHash),
          leaves: asBuffer(m.leaves),
        });
      });
      w.on('error', (err) => {
        for (const p of this.waiting.values()) p.reject(err);
        this.waiting.clear();
        pool = null;
      });
      w.unref(); // after the listeners: adding one may ref the port again
      this.workers.push(slot);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Checks `buf` (whole COPY lines of `stream`) on the least busy worker. */
  check(stream: string, buf: Buffer): Promise<ChunkResult> {
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    const copy = new Uint8Array(buf); // its own ArrayBuffer, transferred (never a pooled or shared one)
    slot.busy++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      slot.w.postMessage({ id, stream, buf: copy }, [copy.buffer]);
    });
  }
}

let pool: VerifyPool | null = null;

/** The process's verification pool with at least `size` workers (created on first use). */
export function verifyPool(size: number): VerifyPool {
  if (!pool || pool.size < size) pool = new VerifyPool(size);
  return pool;
}
