import { parentPort } from 'node:worker_threads';
import { checkChunk } from './verify-chunk';

/** Worker thread of the verification pool (ledger/verify-pool.ts): checks chunks of COPY lines. */
parentPort?.on('message', (m: { id: number; stream: string; buf: Uint8Array }) => {
  const r = checkChunk(m.stream, Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength));
  parentPort?.postMessage({ id: m.id, ...r }, r.leaves.length > 0 ? [r.leaves.buffer as ArrayBuffer] : []);
});
