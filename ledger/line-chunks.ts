/**
 * Re-cuts a byte stream into chunks of whole lines of about `chunkBytes` (each ending in \n but
 * the last, when the input does not end in one): one concatenation per chunk, no per-line work.
 */
export async function* wholeLineChunks(
  source: AsyncIterable<Buffer>,
  chunkBytes = 1 << 20,
): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes < chunkBytes) continue;
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    const cut = all.lastIndexOf(10) + 1;
    if (cut === 0) {
      pending = [all];
      continue;
    }
    const rest = all.subarray(cut);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    yield all.subarray(0, cut);
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
