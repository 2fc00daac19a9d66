import { parentPort } from 'node:worker_threads';
import { checkBundleChunk } from './bundle-chunk';
import { checkChunk } from './verify-chunk';
import type { PoolTask } from './verify-pool';

/** Worker thread of the verification pool (ledger/verify-pool.ts): checks chunks of COPY or bundle lines. */
parentPort?.on('message', (m: { id: number; task: PoolTask }) => {
  const t = m.task;
  const buf = Buffer.from(t.buf.buffer, t.buf.byteOffset, t.buf.byteLength);
  if (t.kind === 'copy') {
    const r = checkChunk(t.stream, buf);
    // The chunk goes back: the caller reads a dirty chunk's rows from it and reuses it.
    const transfer = [t.buf.buffer as ArrayBuffer];
    if (r.leaves.length > 0) transfer.push(r.leaves.buffer as ArrayBuffer);
    if (r.nodes.length > 0) transfer.push(r.nodes.buffer as ArrayBuffer);
    parentPort?.postMessage({ id: m.id, result: r, buf: t.buf }, transfer);
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
