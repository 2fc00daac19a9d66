import net from 'node:net';

/** Bytes each read of a connection's socket fills at most. */
const READ_BUFFER_BYTES = 256 << 10;

/**
 * Takes the bytes of one read, `b[0..n)`, valid only during the call (the buffer is read into
 * again); returns false to stop reading until `resume()`.
 */
export type ReadSink = (b: Buffer, n: number) => boolean;

/**
 * A TCP socket for a PostgreSQL connection that reads into one buffer of its own instead of a
 * new one per read: a COPY reader given the bytes through {@link divert} frames them straight
 * from that buffer (ledger/copy-frames.ts), so a 20,000-event verification allocates no socket
 * buffers. Those were ~1,500 allocations of 64 KiB each, whose external memory set off V8's
 * collections (and page faults, and frees on the GC threads). Every other read is pushed, as a
 * copy, to the socket's readable side as a plain socket's read is.
 */
export class ReadBufferSocket extends net.Socket {
  private sink: ReadSink | null = null;

  constructor() {
    const self: { socket: ReadBufferSocket | null } = { socket: null };
    // Node's Socket constructor takes `onread` too (@types/node lists it for connect() only).
    const onread: net.OnReadOpts = {
      buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
      callback: (n, b) => (self.socket as ReadBufferSocket).onRead(n, b as Buffer),
    };
    super({ onread } as net.SocketConstructorOpts);
    self.socket = this;
  }

  /** Sends the reads to `sink` (null: back to 'data' events). */
  divert(sink: ReadSink | null): void {
    this.sink = sink;
  }

  private onRead(n: number, b: Buffer): boolean {
    if (this.sink) return this.sink(b, n);
    // Into the readable side, as a plain socket's read goes: 'data' for pg, read() for pg-copy-streams.
    return this.push(Buffer.from(b.subarray(0, n)));
  }
}

/** The socket pg opens for a connection: a {@link ReadBufferSocket} unless TLS is asked for (TLS reads the socket itself). */
export const connectionSocket = (config?: { ssl?: unknown }): net.Socket =>
  config?.ssl ? new net.Socket() : new ReadBufferSocket();
