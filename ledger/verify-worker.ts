import { parentPort } from 'node:worker_threads';
import { checkBundleChunk } from './bundle-chunk';
import { checkChunk } from './verify-chunk';
import type { PoolSlots, PoolTask } from './verify-pool';

/** The pool's shared chunk slots, once it has sent them. */
let slots: Buffer | null = null;
let slotBytes = 0;

/** Worker thread of the verification pool (ledger/verify-pool.ts): checks chunks of COPY or bundle lines. */
parentPort?.on('message', (m: { id: number; task: PoolTask } | PoolSlots) => {
  if ('slots' in m) {
    slots = Buffer.from(m.slots);
    slotBytes = m.slotBytes;
    return;
  }
  const t = m.task;
  const inSlot = 'slot' in t;
  const buf = inSlot
    ? (slots as Buffer).subarray(t.slot * slotBytes, t.slot * slotBytes + t.length)
    : Buffer.from(t.buf.buffer, t.buf.byteOffset, t.buf.byteLength);
  const result = t.kind === 'copy' ? checkChunk(t.stream, buf) : checkBundleChunk(buf);
  const transfer = new Set(
    (Array.isArray(result) ? result : [result])
      .flatMap((r) => [r.leaves, r.nodes])
      .filter((b) => b.length > 0)
      .map((b) => b.buffer as ArrayBuffer),
  );
  if (inSlot) {
    // The chunk stays in its slot (the caller kept its own bytes).
    parentPort?.postMessage({ id: m.id, result }, [...transfer]);
    return;
  }
  // The chunk goes back: the caller reads a dirty chunk's rows or segment's lines from it and reuses it.
  transfer.add(t.buf.buffer as ArrayBuffer);
  parentPort?.postMessage({ id: m.id, result, buf: t.buf }, [...transfer]);
});
