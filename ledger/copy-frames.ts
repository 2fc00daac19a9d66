import { Readable } from 'node:stream';
import type { Connection, Submittable } from 'pg';
import { ReadBufferSocket } from '../db/read-buffer-socket';
import { LineChunker } from './line-chunks';

const COPY_DATA = 0x64;
const ERROR_RESPONSE = 0x45;
/** Messages that may come before or between CopyData ones without ending copy-out mode. */
const INTERSPERSED = new Set([
  0x48 /* CopyOutResponse */, 0x41 /* Notification */, 0x4e /* Notice */, 0x53 /* ParameterStatus */,
]);

/** Where the COPY's messages end in the bytes just fed, if they did. */
export type FrameEnd =
  | { kind: 'more' }
  /** CopyDone (or any message that ends copy-out mode) was read; the bytes from `at` on are the server's next messages. */
  | { kind: 'done'; at: number }
  /** An ErrorResponse begins at `at`: it and what follows are the driver's to read. */
  | { kind: 'error'; at: number };

/**
 * Reads the messages of a COPY … TO STDOUT as they arrive from the socket, in pieces cut
 * anywhere, and hands the bodies of the CopyData messages (the COPY text, one row per message)
 * to `sink` as ranges of the bytes fed: no object and no copy per row (pg-copy-streams makes a
 * slice per row and concatenates them again). What ends copy-out mode is what pg-copy-streams
 * 7 treats as its end: an ErrorResponse before it is read, anything else but CopyData and the
 * interspersed messages after it is read.
 */
export class CopyFrames {
  private readonly head = Buffer.alloc(4);
  private headLen = -1;
  private code = 0;
  private left = 0;

  feed(b: Buffer, sink: (b: Buffer, start: number, end: number) => void): FrameEnd {
    let p = 0;
    while (p < b.length) {
      if (this.headLen < 0) {
        // The first byte of a message: its type.
        this.code = b[p] as number;
        if (this.code === ERROR_RESPONSE) return { kind: 'error', at: p };
        p++;
        this.headLen = 0;
        continue;
      }
      if (this.headLen === 0 && p + 4 <= b.length) {
        // The whole length word is here (nearly always): read in place, no copy.
        this.left = b.readUInt32BE(p) - 4;
        this.headLen = 4;
        p += 4;
      } else if (this.headLen < 4) {
        const n = Math.min(4 - this.headLen, b.length - p);
        b.copy(this.head, this.headLen, p, p + n);
        this.headLen += n;
        p += n;
        if (this.headLen < 4) break;
        this.left = this.head.readUInt32BE(0) - 4;
      }
      const n = Math.min(this.left, b.length - p);
      if (n > 0 && this.code === COPY_DATA) sink(b, p, p + n);
      this.left -= n;
      p += n;
      if (this.left > 0) break;
      this.headLen = -1;
      if (this.code !== COPY_DATA && !INTERSPERSED.has(this.code)) return { kind: 'done', at: p };
    }
    return { kind: 'more' };
  }
}

/**
 * A COPY … TO STDOUT submitted to a pg client, read as object-mode chunks of whole COPY lines
 * (ledger/line-chunks.ts: each chunk the start of a buffer of its own, so it may be transferred;
 * given back through `spare`, filled again). On a {@link ReadBufferSocket} (every pooled
 * connection without TLS) each read is framed straight from the socket's own buffer; on any
 * other socket its bytes are taken over as pg-copy-streams does. Either way they are framed by
 * {@link CopyFrames} and copied once, straight into the chunk.
 */
export class CopyLineStream extends Readable implements Submittable {
  private connection: Connection | null = null;
  private pgData: ((b: Buffer) => void) | null = null;
  private readonly frames = new CopyFrames();
  private chunker: LineChunker;
  /** The size of the chunks being cut now: doubles from the first chunk's up to `chunkBytes`. */
  private size: number;
  private drained = false;
  private forwarding = false;
  private ended = false;
  private readonly onReadable = () => this.forward();

  /** Bytes of the COPY text in the chunks cut so far. */
  private cutBytes = 0;
  /** The connection's socket when it reads into a buffer of its own (db/read-buffer-socket.ts). */
  private diverted: ReadBufferSocket | null = null;
  /** Reading stopped (diverted socket) until the consumer asks for more. */
  private held = false;
  /** The CopyData body ranges of the bytes being parsed, [start, end) pairs (see `addSpan`). */
  private spans = new Int32Array(1024);
  private spanCount = 0;
  private readonly addSpan = (_b: Buffer, start: number, end: number): void => {
    if (2 * this.spanCount + 2 > this.spans.length) {
      const more = new Int32Array(2 * this.spans.length);
      more.set(this.spans);
      this.spans = more;
    }
    this.spans[2 * this.spanCount] = start;
    this.spans[2 * this.spanCount + 1] = end;
    this.spanCount++;
  };

  /**
   * `firstChunkBytes` (default `chunkBytes`): the first chunk's size; each chunk after it is
   * twice as big up to `chunkBytes`, so the first rows reach a worker thread after a few
   * hundred rows instead of a whole chunk's worth while the other threads wait.
   * `sizeAt(offset)`, when given, is the cut size (at most `chunkBytes`) of a full-size chunk
   * starting at byte `offset` of the COPY text (the tail's smaller chunks: see tailChunkBytes).
   */
  constructor(
    private readonly text: string,
    private readonly chunkBytes: number,
    private readonly spare: Buffer[],
    firstChunkBytes = chunkBytes,
    private readonly sizeAt?: (offset: number) => number,
  ) {
    super({ objectMode: true, highWaterMark: 2 });
    this.size = Math.min(firstChunkBytes, chunkBytes);
    this.chunker = this.chunkerAt(0);
  }

  /** A chunker of the current size for the text from byte `base` on. */
  private chunkerAt(base: number): LineChunker {
    const sizeAt = this.sizeAt;
    return this.size >= this.chunkBytes && sizeAt
      ? new LineChunker(this.size, this.spare, (offset) => sizeAt(base + offset))
      : new LineChunker(this.size, this.spare);
  }

  /** The chunks `piece[start..end)` completes, cut at the growing size. */
  private cut(piece: Buffer, start: number, end: number, out: Buffer[]): void {
    const chunks = this.chunker.push(piece, start, end);
    for (const c of chunks) {
      out.push(c);
      this.cutBytes += c.length;
    }
    if (chunks.length === 0 || this.size >= this.chunkBytes) return;
    // Carry the partial line over to a chunker of twice the size.
    this.size = Math.min(2 * this.size, this.chunkBytes);
    const rest = this.chunker.end();
    this.chunker = this.chunkerAt(this.cutBytes);
    if (rest)
      for (const c of this.chunker.push(rest)) {
        out.push(c);
        this.cutBytes += c.length;
      }
  }

  submit(connection: Connection): void {
    this.connection = connection;
    const socket = connection.stream;
    if (socket instanceof ReadBufferSocket) {
      // Each read is framed straight from the socket's own buffer (no buffer per read).
      this.diverted = socket;
      socket.divert((b, n) => this.takeRead(b, n));
      connection.query(this.text);
      return;
    }
    const listeners = socket.listeners('data') as Array<(b: Buffer) => void>;
    if (listeners.length !== 1) throw new Error('unexpected pg connection state: not one data listener');
    this.pgData = listeners[0] as (b: Buffer) => void;
    socket.removeListener('data', this.pgData);
    socket.pause();
    socket.on('readable', this.onReadable);
    this.forward();
    connection.query(this.text);
  }

  override _read(): void {
    this.drained = true;
    if (this.diverted) {
      if (this.held && !this.ended) {
        this.held = false;
        this.diverted.resume();
      }
      return;
    }
    this.forward();
  }

  /** One read of a diverted socket; false stops reading while the chunks wait for the consumer. */
  private takeRead(b: Buffer, n: number): boolean {
    this.parse(b.subarray(0, n));
    this.held = !this.ended && !this.drained;
    return !this.held;
  }

  private forward(): void {
    const socket = this.connection?.stream;
    if (!socket || this.forwarding || !this.drained || this.ended) return;
    this.forwarding = true;
    for (
      let b = socket.read() as Buffer | null;
      b !== null;
      b = this.ended || !this.drained ? null : (socket.read() as Buffer | null)
    )
      this.parse(b);
    this.forwarding = false;
  }

  /**
   * The chunks the CopyData bodies of `b` (see `addSpan`) complete: range by range while the
   * chunk size still ramps up, then all the rest in one {@link LineChunker.pushSpans}.
   */
  private cutSpans(b: Buffer, out: Buffer[]): void {
    let i = 0;
    for (; i < this.spanCount && this.size < this.chunkBytes; i++)
      this.cut(b, this.spans[2 * i] as number, this.spans[2 * i + 1] as number, out);
    for (const c of this.chunker.pushSpans(b, this.spans, i, this.spanCount)) {
      out.push(c);
      this.cutBytes += c.length;
    }
  }

  private parse(b: Buffer): void {
    const out: Buffer[] = [];
    this.spanCount = 0;
    const end = this.frames.feed(b, this.addSpan);
    this.cutSpans(b, out);
    for (const chunk of out) this.drained = this.push(chunk);
    if (end.kind === 'more') return;
    this.ended = true;
    // Hand the socket back to pg with the bytes after the COPY (CommandComplete, ReadyForQuery or the error).
    if (this.diverted) {
      this.diverted.divert(null);
      // A copy: the socket reads into `b` again.
      this.diverted.push(Buffer.from(b.subarray(end.at)));
    } else this.giveBack(b.subarray(end.at));
    if (end.kind === 'done') {
      const last = this.chunker.end();
      if (last) this.push(last);
      this.push(null);
    }
  }

  /** Gives the socket taken over in paused mode back to pg, with `rest` (the bytes after the COPY). */
  private giveBack(rest: Buffer): void {
    const socket = (this.connection as Connection).stream;
    socket.removeListener('readable', this.onReadable);
    socket.addListener('data', this.pgData as (b: Buffer) => void);
    this.pgData?.(rest);
    process.nextTick(() => socket.resume());
  }

  /** Called by pg with the server's error (an ErrorResponse during the COPY). */
  handleError(err: Error): void {
    this.destroy(err);
  }

  handleCommandComplete(): void {}

  handleReadyForQuery(): void {}
}
