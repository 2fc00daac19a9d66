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
    parentPort?.postMessage(
      { id: m.id, result: r },
      r.leaves.length > 0 ? [r.leaves.buffer as ArrayBuffer] : [],
    );
    return;
  }
  const segments = checkBundleChunk(buf);
  const transfer = new Set(
    segments.filter((s) => s.leaves.length > 0).map((s) => s.leaves.buffer as ArrayBuffer),
  );
  parentPort?.postMessage({ id: m.id, result: segments }, [...transfer]);
});
