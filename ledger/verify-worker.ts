import { parentPort } from 'node:worker_threads';
import { checkBundleChunk } from './bundle-chunk';
import { checkChunk, type ChunkResult } from './verify-chunk';
import type { PoolSlots, PoolTask } from './verify-pool';

/** The pool's shared chunk slots, once it has sent them. */
let slots: Buffer | null = null;
let slotBytes = 0;

/** A chunk result's own buffers, transferred with it. */
const resultBuffers = (r: ChunkResult): ArrayBuffer[] =>
  [r.leaves, r.nodes].filter((b) => b.length > 0).map((b) => b.buffer as ArrayBuffer);

/** Worker thread of the verification pool (ledger/verify-pool.ts): checks chunks of COPY or bundle lines. */
parentPort?.on('message', (m: { id: number; task: PoolTask } | PoolSlots) => {
  if ('slots' in m) {
    slots = Buffer.from(m.slots);
    slotBytes = m.slotBytes;
    return;
  }
  const t = m.task;
  if ('slot' in t) {
    // The chunk stays in its slot (the caller kept its own bytes).
    const at = t.slot * slotBytes;
    const r = checkChunk(t.stream, (slots as Buffer).subarray(at, at + t.length));
    parentPort?.postMessage({ id: m.id, result: r }, resultBuffers(r));
    return;
  }
  const buf = Buffer.from(t.buf.buffer, t.buf.byteOffset, t.buf.byteLength);
  if (t.kind === 'copy') {
    const r = checkChunk(t.stream, buf);
    // The chunk goes back: the caller reads a dirty chunk's rows from it and reuses it.
    parentPort?.postMessage({ id: m.id, result: r, buf: t.buf }, [
      t.buf.buffer as ArrayBuffer,
      ...resultBuffers(r),
    ]);
    return;
  }
  const segments = checkBundleChunk(buf);
  const transfer = new Set(
    segments
      .flatMap((s) => [s.leaves, s.nodes])
      .filter((b) => b.length > 0)
      .map((b) => b.buffer as ArrayBuffer),
  );
  transfer.add(t.buf.buffer as ArrayBuffer);
  // The chunk goes back too: the caller reads a dirty segment's lines from it and reuses it.
  parentPort?.postMessage({ id: m.id, result: segments, buf: t.buf }, [...transfer]);
});
