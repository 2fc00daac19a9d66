import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BundleSegment } from './bundle-chunk';
import { chunkCheckerImplementation, type ChunkResult } from './verify-chunk';

/**
 * Default worker count. PostgreSQL's COPY is one process and this thread reads and folds leaves,
 * so how many workers pay off depends on what a row costs to check. The native checker
 * (ledger/native/copy-chunk.c) spends about a third of what PostgreSQL spends producing the row,
 * so this thread keeps up alone and workers only help on cores beyond those two: on 2 cores
 * (stop 19, alternated in one run) no worker verified at ~0.92x of the unchecked read, one at
 * 0.83x, two at 0.81x. The TypeScript checker costs about as much as PostgreSQL's row, and
 * workers win even when they outnumber the spare cores: on 2 cores, 2 workers verified at 0.53x
 * of the unchecked read where this thread alone reached 0.33x. At most 4.
 */
export function defaultVerifyWorkers(): number {
  const cores = os.availableParallelism();
  if (chunkCheckerImplementation() === 'native') return Math.max(0, Math.min(4, cores - 2));
  return Math.max(1, Math.min(4, cores));
}

const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** A COPY chunk's result with its byte fields as Buffers again (structured clone makes them Uint8Arrays). */
function chunkResult(m: ChunkResult): ChunkResult {
  return {
    ...m,
    firstPrev: asBuffer(m.firstPrev),
    lastHash: asBuffer(m.lastHash),
    beforeLastHash: asBuffer(m.beforeLastHash),
    leaves: asBuffer(m.leaves),
    nodes: asBuffer(m.nodes),
  };
}

function bundleSegments(m: BundleSegment[]): BundleSegment[] {
  return m.map((s) => ({
    ...s,
    firstPrev: asBuffer(s.firstPrev),
    lastHash: asBuffer(s.lastHash),
    beforeLastHash: asBuffer(s.beforeLastHash),
    leaves: asBuffer(s.leaves),
    nodes: asBuffer(s.nodes),
  }));
}

/** A task for a worker: COPY lines of one stream (ledger/verify-chunk.ts) or bundle lines (ledger/bundle-chunk.ts). */
export type PoolTask =
  { kind: 'copy'; stream: string; buf: Uint8Array } | { kind: 'bundle'; buf: Uint8Array };

/**
 * How a worker thread starts: the compiled `verify-worker.js` beside this file when this is the
 * compiled code (dist/), the one in dist/ when running from sources and dist/ is current (the
 * bin's own freshness check), else the sources through tsx (0.5-0.8 s more per worker).
 */
function workerSource(): { code: string; compiled: boolean } {
  const here = path.join(__dirname, 'verify-worker.js');
  if (__filename.endsWith('.js') && existsSync(here)) return { code: here, compiled: true };
  const dist = path.join(__dirname, '..', 'dist', 'ledger', 'verify-worker.js');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bin's CommonJS helper
    const { buildState } = require('../bin/build-state.cjs') as { buildState(): { current: boolean } };
    if (existsSync(dist) && buildState().current) return { code: dist, compiled: true };
  } catch {
    // no bin/ beside the sources: start through tsx
  }
  const entry = path.join(__dirname, 'verify-worker.ts');
  return { code: `require('tsx/cjs'); require(${JSON.stringify(entry)});`, compiled: false };
}

/**
 * Worker threads that check chunks of verification rows or bundle lines in parallel (compiled
 * JS when available, see {@link workerSource}); the workers are unref'd, so an idle pool never
 * keeps a process alive, and one pool per process is shared by every verification.
 */
class VerifyPool {
  private readonly workers: Array<{ w: Worker; busy: number }> = [];
  private readonly waiting = new Map<
    number,
    { resolve: (r: { result: unknown; buf: Buffer }) => void; reject: (e: unknown) => void }
  >();
  private nextId = 0;

  constructor(size: number) {
    const source = workerSource();
    for (let i = 0; i < size; i++) {
      const w = source.compiled ? new Worker(source.code) : new Worker(source.code, { eval: true });
      const slot = { w, busy: 0 };
      w.on('message', (m: { id: number; result: unknown; buf: Uint8Array }) => {
        if (--slot.busy === 0) w.unref();
        const p = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        p?.resolve({ result: m.result, buf: asBuffer(m.buf) });
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

  /**
   * Checks `buf` (whole COPY lines of `stream`) on the least busy worker. An `owned` buffer (the
   * start of an ArrayBuffer nothing else refers to, as ledger/line-chunks.ts hands out) is
   * transferred, not copied, and comes back as `buf`; any other is copied.
   */
  async check(stream: string, buf: Buffer, owned = false): Promise<{ result: ChunkResult; buf: Buffer }> {
    const r = await this.run('copy', stream, buf, owned);
    return { result: chunkResult(r.result as ChunkResult), buf: r.buf };
  }

  /** Checks `buf` (whole lines of a bundle's events.jsonl) on the least busy worker; `owned` as for {@link check}. */
  async checkBundle(buf: Buffer, owned = false): Promise<{ segments: BundleSegment[]; buf: Buffer }> {
    const r = await this.run('bundle', '', buf, owned);
    return { segments: bundleSegments(r.result as BundleSegment[]), buf: r.buf };
  }

  private run(
    kind: PoolTask['kind'],
    stream: string,
    buf: Buffer,
    owned: boolean,
  ): Promise<{ result: unknown; buf: Buffer }> {
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    // Transferred: the caller's own buffer, or a copy with its own ArrayBuffer (never a pooled or shared one).
    const data = owned ? new Uint8Array(buf.buffer, buf.byteOffset, buf.length) : new Uint8Array(buf);
    // Referenced while it has work: an offline check may have nothing else keeping the process up.
    if (slot.busy++ === 0) slot.w.ref();
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      slot.w.postMessage({ id, task: { kind, stream, buf: data } }, [data.buffer as ArrayBuffer]);
    });
  }
}

let pool: VerifyPool | null = null;

/** The process's verification pool with at least `size` workers (created on first use). */
export function verifyPool(size: number): VerifyPool {
  if (!pool || pool.size < size) pool = new VerifyPool(size);
  return pool;
}
