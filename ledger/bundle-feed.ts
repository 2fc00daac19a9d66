import { open, type FileHandle } from 'node:fs/promises';
import { checkBundleChunk, type BundleSegment } from './bundle-chunk';
import { fileLineChunks } from './line-chunks';
import type { verifyPool } from './verify-pool';

type Pool = ReturnType<typeof verifyPool>;

/** What a chunk's check gives: its segments, and its bytes back (transferred to a worker and returned). */
export interface CheckedChunk {
  segments: BundleSegment[];
  buf: Buffer;
}

/** A chunk of events.jsonl read and handed on; `checked` is null for a chunk read line by line. */
export interface FedChunk {
  chunk: Buffer;
  checked: Promise<CheckedChunk> | null;
  /** Its check has settled (a chunk checked on this thread, or read line by line, at once). */
  done: boolean;
}

/**
 * Reads events.jsonl in whole-line chunks and hands each to the verification pool's workers
 * (on this thread without a pool), giving them back in file order. A chunk is handed out as soon
 * as any worker holds fewer than two, not when the oldest comes back: a slow worker on the
 * oldest chunk never leaves another idle. `onChecked` sees every chunk as its check settles,
 * with its segments (null for a chunk read line by line), in any order: the purge scan reads the
 * purge lines the workers found there. It may be started before the rest of the bundle is read,
 * so the workers check lines while this thread parses checkpoints and heads.
 */
export class BundleFeed {
  /** Chunk buffers given back, filled again by the reader (ledger/line-chunks.ts). */
  readonly spare: Buffer[] = [];
  private readonly queue: FedChunk[] = [];
  private readonly chunks: AsyncGenerator<Buffer>;
  private readonly maxAtWorkers: number;
  private readonly maxQueued: number;
  private atWorkers = 0;
  private wake: (() => void) | null = null;
  private filling: Promise<void> | null = null;
  /** A read that failed (kept for {@link next}: the first fill may run before anyone awaits it). */
  private failure: { error: unknown } | null = null;
  private closed = false;
  /** Every chunk of the file has been read. */
  readAll = false;

  private constructor(
    private readonly file: FileHandle,
    private readonly pool: Pool | null,
    chunkBytes: number,
    sizes: ((offset: number) => number) | undefined,
    private readonly onChecked: (buf: Buffer, segments: BundleSegment[] | null) => void,
  ) {
    this.chunks = fileLineChunks(file, chunkBytes, this.spare, sizes);
    const width = pool?.size ?? 0;
    this.maxAtWorkers = Math.max(1, 2 * width);
    this.maxQueued = 4 * width + 1;
  }

  static async open(
    file: string,
    pool: Pool | null,
    opts: {
      chunkBytes: number;
      sizes?: (offset: number) => number;
      onChecked?: (buf: Buffer, segments: BundleSegment[] | null) => void;
    },
  ): Promise<BundleFeed> {
    return new BundleFeed(
      await open(file, 'r'),
      pool,
      opts.chunkBytes,
      opts.sizes,
      opts.onChecked ?? (() => {}),
    );
  }

  /**
   * Reads and hands out chunks until every worker holds two (or the read-ahead bound is reached).
   * Never rejects: a failed read is thrown by {@link next}.
   */
  fill(): Promise<void> {
    this.filling ??= this.readAhead()
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => (this.filling = null));
    return this.filling;
  }

  private async readAhead(): Promise<void> {
    while (
      !this.readAll &&
      !this.closed &&
      !this.failure &&
      this.atWorkers < this.maxAtWorkers &&
      this.queue.length < this.maxQueued
    ) {
      const next = await this.chunks.next();
      if (next.done) {
        this.readAll = true;
        return;
      }
      const chunk = next.value;
      const item: FedChunk = { chunk, checked: null, done: true };
      // A carriage return splits lines for readline: such a chunk is read line by line.
      if (chunk.includes(13)) this.onChecked(chunk, null);
      else if (this.pool) {
        item.done = false;
        this.atWorkers++;
        const settled = () => {
          item.done = true;
          this.atWorkers--;
          // Refilled here too: the workers stay fed while this thread is busy elsewhere (the
          // bundle's other files before the first chunk is awaited).
          void this.fill();
          this.wake?.();
        };
        item.checked = this.pool.checkBundle(chunk, true);
        item.checked.then((r) => {
          try {
            this.onChecked(r.buf, r.segments);
          } finally {
            settled();
          }
        }, settled);
      } else {
        const segments = checkBundleChunk(chunk);
        this.onChecked(chunk, segments);
        item.checked = Promise.resolve({ segments, buf: chunk });
      }
      this.queue.push(item);
    }
  }

  /** Every chunk has been read and every check has settled (each seen by `onChecked`). */
  get allChecked(): boolean {
    return this.readAll && this.atWorkers === 0;
  }

  /** The next chunk in file order once its check has settled; null after the last. */
  async next(): Promise<FedChunk | null> {
    for (;;) {
      await this.fill();
      if (this.failure) throw this.failure.error;
      const head = this.queue[0];
      if (!head) return null;
      if (head.done) {
        this.queue.shift();
        return head;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  /** Stops reading; chunks still at a worker are dropped when they come back. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.filling;
    await this.file.close();
  }
}
