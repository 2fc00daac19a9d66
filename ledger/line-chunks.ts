import type { FileHandle } from 'node:fs/promises';

/** Smallest chunk the end of an input is cut into for the worker threads (a message each way and a fold per chunk). */
export const TAIL_CHUNK_MIN_BYTES = 128 << 10;

/**
 * The cut size for a chunk with `restBytes` of the input left, checked on `workers` threads:
 * `chunkBytes` until the last 2 × workers chunks, then a (2 × workers)th of what is left (never
 * below the smaller of {@link TAIL_CHUNK_MIN_BYTES} and an eighth of `chunkBytes`), so the
 * workers run out of lines within a small chunk of each other instead of one checking the last
 * whole chunk while the others wait.
 */
export function tailChunkBytes(restBytes: number, chunkBytes: number, workers: number): number {
  const share = 2 * Math.max(1, workers);
  const least = Math.max(1, Math.min(TAIL_CHUNK_MIN_BYTES, chunkBytes >> 3));
  return Math.min(chunkBytes, Math.max(least, Math.ceil(restBytes / share)));
}

/**
 * Cuts bytes into chunks of whole lines of at least `size` bytes (each ending at the first \n
 * from there; the last one may lack it when the input does), copying each byte once into a
 * buffer of its own. A chunk is the start of that buffer and nothing else refers to its
 * ArrayBuffer once it is handed out, so the caller may transfer it to a worker thread, and may
 * give it back through `spare` to be filled again (no allocation and no fresh pages per chunk).
 */
export class LineChunker {
  private cur: Buffer;
  private len = 0;
  /** Bytes handed out in chunks so far (where the next chunk starts in the input). */
  private cutBytes = 0;

  /**
   * `sizeAt(offset)`, when given, is the cut size of the chunk starting at `offset` of the input,
   * taken between 1 and `size` (buffers are sized for `size`); without it every chunk is cut at `size`.
   */
  constructor(
    private readonly size: number,
    private readonly spare: Buffer[] = [],
    private readonly sizeAt?: (offset: number) => number,
  ) {
    this.size = Math.max(1, size);
    this.cur = this.fresh(0);
  }

  /** The cut size of the next chunk. */
  private next(): number {
    if (!this.sizeAt) return this.size;
    return Math.max(1, Math.min(this.size, Math.floor(this.sizeAt(this.cutBytes))));
  }

  /** A buffer of at least `min` bytes and room for a chunk and the line that ends it. */
  private fresh(min: number): Buffer {
    const want = Math.max(min, this.size + (this.size >> 2) + 4096);
    for (let b = this.spare.pop(); b; b = this.spare.pop()) if (b.length >= want) return b;
    return Buffer.allocUnsafeSlow(want);
  }

  /** Makes room for `n` more bytes. */
  private reserve(n: number): void {
    if (this.len + n <= this.cur.length) return;
    const next = this.fresh(2 * (this.len + n));
    this.cur.copy(next, 0, 0, this.len);
    this.cur = next;
  }

  /** The whole-line chunks complete so far. */
  private cut(out: Buffer[]): void {
    for (let size = this.next(); this.len >= size; size = this.next()) {
      const nl = this.cur.subarray(0, this.len).indexOf(10, size - 1);
      if (nl === -1) return;
      const next = this.fresh(this.len - nl - 1);
      this.cur.copy(next, 0, nl + 1, this.len);
      out.push(this.cur.subarray(0, nl + 1));
      this.cur = next;
      this.len -= nl + 1;
      this.cutBytes += nl + 1;
    }
  }

  /** Adds `piece[start..end)`; returns the chunks it completes. */
  push(piece: Buffer, start = 0, end = piece.length): Buffer[] {
    const out: Buffer[] = [];
    this.reserve(end - start);
    piece.copy(this.cur, this.len, start, end);
    this.len += end - start;
    this.cut(out);
    return out;
  }

  /**
   * Adds the ranges `piece[spans[2i]..spans[2i + 1])` for i in [from, to), in order (the CopyData
   * bodies of one socket read, ledger/copy-frames.ts): the bytes from the first range's start to
   * the last one's end are copied at once, then the gaps between the ranges closed within the
   * buffer (a copy call per range costs more than its bytes); returns the chunks it completes.
   */
  pushSpans(piece: Buffer, spans: Int32Array, from: number, to: number): Buffer[] {
    const out: Buffer[] = [];
    if (from >= to) return out;
    const first = spans[2 * from] as number;
    const last = spans[2 * to - 1] as number;
    this.reserve(last - first);
    piece.copy(this.cur, this.len, first, last);
    const base = this.len - first;
    let at = base + (spans[2 * from + 1] as number);
    for (let i = from + 1; i < to; i++) {
      const s = spans[2 * i] as number;
      const e = spans[2 * i + 1] as number;
      if (base + s !== at) this.cur.copyWithin(at, base + s, base + e);
      at += e - s;
    }
    this.len = at;
    this.cut(out);
    return out;
  }

  /**
   * Reads from `file` straight into the buffer, a little past the next cut so the bytes carried
   * over to the next chunk are few; null at the end of the file, else the chunks it completes.
   */
  async read(file: FileHandle): Promise<Buffer[] | null> {
    const want = Math.max(1 << 14, this.next() - this.len + (1 << 14));
    this.reserve(want);
    const { bytesRead } = await file.read(this.cur, this.len, want, null);
    if (bytesRead === 0) return null;
    this.len += bytesRead;
    const out: Buffer[] = [];
    this.cut(out);
    return out;
  }

  /** The rest (a last line without its \n), if any. */
  end(): Buffer | null {
    if (this.len === 0) return null;
    const last = this.cur.subarray(0, this.len);
    this.cutBytes += this.len;
    this.len = 0;
    return last;
  }
}

/** {@link LineChunker} over an open file, read straight into the chunk buffers. */
export async function* fileLineChunks(
  file: FileHandle,
  chunkBytes = 1 << 20,
  spare: Buffer[] = [],
  sizeAt?: (offset: number) => number,
): AsyncGenerator<Buffer> {
  const chunker = new LineChunker(chunkBytes, spare, sizeAt);
  for (let chunks = await chunker.read(file); chunks; chunks = await chunker.read(file)) yield* chunks;
  const last = chunker.end();
  if (last) yield last;
}
