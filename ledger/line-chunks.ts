/**
 * Re-cuts a byte stream into chunks of whole lines of at least `chunkBytes` (each ending at the
 * first \n from there; the last one may lack it when the input does): no per-line work.
 */
export async function* wholeLineChunks(
  source: AsyncIterable<Buffer>,
  chunkBytes = 1 << 20,
): AsyncGenerator<Buffer> {
  const size = Math.max(1, chunkBytes);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const piece of source) {
    pending.push(piece);
    pendingBytes += piece.length;
    if (pendingBytes < size) continue;
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    let off = 0;
    while (all.length - off >= size) {
      const cut = all.indexOf(10, off + size - 1) + 1;
      if (cut === 0) break;
      yield all.subarray(off, cut);
      off = cut;
    }
    const rest = all.subarray(off);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
  }
  if (pendingBytes > 0) yield Buffer.concat(pending, pendingBytes);
}
