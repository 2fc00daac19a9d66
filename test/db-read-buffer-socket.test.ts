import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type net from 'node:net';
import type pg from 'pg';
import { ReadBufferSocket, connectionSocket } from '../db/read-buffer-socket';
import { copyChunks } from '../ledger/copy-rows';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

/**
 * Pooled connections read into one buffer per socket (db/read-buffer-socket.ts): ordinary
 * queries, results far larger than that buffer and pg-copy-streams (tested in
 * ledger-copy-frames) see the bytes a plain socket gives; verify's COPY takes the reads straight
 * from the buffer and stops reading while its consumer is behind.
 */
describe('ReadBufferSocket', () => {
  let t: TestDatabase;
  const stream = 'socket';

  beforeAll(async () => {
    t = await createTestDatabase();
    const ledger = createLedger(t.connect());
    for (let k = 0; k < 3000; k += 500)
      await ledger.appendMany(
        Array.from({ length: 500 }, (_, i) => ({
          event: sampleEvent({ payload: { i: k + i, note: 'x'.repeat(300) } }),
          idempotencyKey: `s-${k + i}`,
        })),
        { stream },
      );
  }, 120_000);
  afterAll(async () => {
    await t.drop();
  });

  it('is the socket of every pooled connection, except under TLS', async () => {
    const client = await t.connect('ledgerflow_reader').$client.connect();
    try {
      const socket = (client as unknown as { connection: { stream: net.Socket } }).connection.stream;
      expect(socket).toBeInstanceOf(ReadBufferSocket);
    } finally {
      client.release();
    }
    expect(connectionSocket({ ssl: { rejectUnauthorized: false } })).not.toBeInstanceOf(ReadBufferSocket);
    expect(connectionSocket({})).toBeInstanceOf(ReadBufferSocket);
  });

  it('gives results larger than its buffer intact, and many rows', async () => {
    const db = t.connect('ledgerflow_reader');
    const big = await db.$client.query<{ s: string; h: string }>(
      "SELECT repeat('abc😀', 400000) AS s, md5(repeat('abc😀', 400000)) AS h",
    );
    const row = big.rows[0] as { s: string; h: string };
    expect(row.s.length).toBe(400000 * 5);
    expect(row.s).toBe('abc😀'.repeat(400000));
    const rows = await db.$client.query<{ g: number; t: string }>(
      "SELECT g, repeat('y', g % 97) AS t FROM generate_series(1, 50000) g",
    );
    expect(rows.rows).toHaveLength(50000);
    expect(rows.rows.every((r, i) => r.g === i + 1 && r.t === 'y'.repeat((i + 1) % 97))).toBe(true);
  });

  it('holds the COPY while the consumer is behind, then gives every byte, and the connection goes on', async () => {
    const db = t.connect('ledgerflow_reader');
    const fast: Buffer[] = [];
    for await (const c of copyChunks(db, stream, 0)) fast.push(Buffer.from(c.buf));
    const resume = ReadBufferSocket.prototype.resume;
    let resumed = 0;
    ReadBufferSocket.prototype.resume = function (this: ReadBufferSocket) {
      resumed++;
      return resume.call(this);
    };
    const slow: Buffer[] = [];
    try {
      for await (const c of copyChunks(db, stream, 0, 8192)) {
        slow.push(Buffer.from(c.buf));
        if (slow.length % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      ReadBufferSocket.prototype.resume = resume;
    }
    expect(Buffer.concat(slow).equals(Buffer.concat(fast))).toBe(true);
    expect(Buffer.concat(fast).length).toBeGreaterThan(1 << 20);
    expect(resumed).toBeGreaterThan(0);
    const after = await (db.$client as pg.Pool).query<{ n: number }>(
      'SELECT count(*)::int AS n FROM ledger_events WHERE stream = $1',
      [stream],
    );
    expect(after.rows[0]?.n).toBe(3000);
  });
});
