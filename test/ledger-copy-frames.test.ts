import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { to as copyTo } from 'pg-copy-streams';
import { CopyFrames, CopyLineStream, type FrameEnd } from '../ledger/copy-frames';
import { copyChunks, copyRowsSql } from '../ledger/copy-rows';
import { createLedger } from '../ledger/ledger';
import { tailChunkBytes } from '../ledger/line-chunks';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

/**
 * verify reads COPY protocol frames itself (ledger/copy-frames.ts) instead of through
 * pg-copy-streams: the chunks must hold exactly the bytes pg-copy-streams gives for the same
 * statement (so the chunk checker sees the same lines and reaches the same verdicts), for
 * messages cut anywhere, and an error during the COPY must reach the caller and leave the
 * connection usable.
 */

const msg = (code: string, body: Buffer | string) => {
  const b = Buffer.from(body);
  const head = Buffer.alloc(5);
  head[0] = code.charCodeAt(0);
  head.writeUInt32BE(b.length + 4, 1);
  return Buffer.concat([head, b]);
};

describe('COPY frames cut anywhere', () => {
  const rows = ['1\ta\\tb\t{"x": "é 𝄞"}\n', '2\t\\N\t\\\\x00ff\n', `3\t${'z'.repeat(300)}\n`];
  const tail = Buffer.concat([msg('C', 'COPY 3\0'), msg('Z', 'I')]);
  const copy = Buffer.concat([
    msg('H', Buffer.from([0, 0, 0])),
    msg('d', rows[0] as string),
    msg('N', 'SNOTICE\0Mhello\0\0'),
    msg('d', rows[1] as string),
    msg('S', 'a\0b\0'),
    msg('d', rows[2] as string),
    msg('c', ''),
  ]);

  const feedIn = (bytes: Buffer, size: number) => {
    const frames = new CopyFrames();
    const out: Buffer[] = [];
    for (let p = 0; p < bytes.length; p += size) {
      const piece = bytes.subarray(p, p + size);
      const end: FrameEnd = frames.feed(piece, (b, s, e) => out.push(Buffer.from(b.subarray(s, e))));
      if (end.kind !== 'more')
        return { out: Buffer.concat(out), end: end.kind, rest: bytes.subarray(p + end.at) };
    }
    return { out: Buffer.concat(out), end: 'more', rest: Buffer.alloc(0) };
  };

  it('gives the CopyData bodies and the bytes after CopyDone, in pieces of every size', () => {
    const bytes = Buffer.concat([copy, tail]);
    for (let size = 1; size <= bytes.length; size++) {
      const r = feedIn(bytes, size);
      expect(r.out.toString('utf8'), `size ${size}`).toBe(rows.join(''));
      expect(r.end).toBe('done');
      expect(r.rest.equals(tail), `size ${size}`).toBe(true);
    }
  });

  it('stops before an ErrorResponse, leaving it to the driver', () => {
    const error = msg('E', 'SERROR\0Mboom\0\0');
    const bytes = Buffer.concat([copy.subarray(0, copy.length - 5), error]);
    for (let size = 1; size <= bytes.length; size++) {
      const r = feedIn(bytes, size);
      expect(r.end).toBe('error');
      expect(r.out.toString('utf8')).toBe(rows.join(''));
      expect(r.rest.equals(error), `size ${size}`).toBe(true);
    }
  });
});

describe('COPY frames from PostgreSQL', () => {
  let t: TestDatabase;
  const stream = 'frames';

  beforeAll(async () => {
    t = await createTestDatabase();
    const ledger = createLedger(t.connect());
    await ledger.appendMany(
      Array.from({ length: 40 }, (_, i) => ({
        event: sampleEvent({
          payload: { i, s: 'tab\there, nl\nthere, back\\slash, "q", é 𝄞, \u0001', big: 'x'.repeat(i * 50) },
          context: { step: i % 3 ? 'plain' : 'a\tb\\c\nd' },
          resource: { type: 'test', id: `r\t${i}` },
        }),
        idempotencyKey: `k-${i}`,
      })),
      { stream },
    );
  });
  afterAll(async () => {
    await t.drop();
  });

  it('are the bytes pg-copy-streams reads, in whole lines, for any chunk size', async () => {
    const db = t.connect('ledgerflow_reader');
    const client = await db.$client.connect();
    const parts: Buffer[] = [];
    try {
      for await (const b of client.query(copyTo(copyRowsSql(client.escapeLiteral(stream), 0))))
        parts.push(b as Buffer);
    } finally {
      client.release();
    }
    const want = Buffer.concat(parts);
    expect(want.toString('utf8').split('\n').length).toBe(41);
    for (const size of [1, 700, 1 << 20]) {
      const got: Buffer[] = [];
      let rows = 0;
      for await (const c of copyChunks(db, stream, 0, size)) {
        expect(c.buf[c.buf.length - 1]).toBe(10);
        got.push(Buffer.from(c.buf));
        rows += c.rows;
      }
      expect(Buffer.concat(got).equals(want), `chunks of ${size}`).toBe(true);
      expect(rows).toBe(40);
    }
    // Rows after a seq, as an incremental run reads them.
    const after: Buffer[] = [];
    for await (const c of copyChunks(db, stream, 30)) after.push(c.buf);
    expect(Buffer.concat(after).toString('utf8').split('\n')[0]?.startsWith('31\t')).toBe(true);
  });

  it('cuts full-size chunks at the sizes sizeAt gives for their offsets (a shrinking tail)', async () => {
    const db = t.connect('ledgerflow_reader');
    const all: Buffer[] = [];
    for await (const c of copyChunks(db, stream, 0)) all.push(Buffer.from(c.buf));
    const whole = Buffer.concat(all);
    for (const chunkBytes of [1500, 4096]) {
      const sizeAt = (offset: number) => tailChunkBytes(whole.length - offset, chunkBytes, 2);
      const got: Buffer[] = [];
      for await (const c of copyChunks(db, stream, 0, chunkBytes, [], sizeAt)) got.push(Buffer.from(c.buf));
      expect(Buffer.concat(got).equals(whole), `chunks of ${chunkBytes}`).toBe(true);
      let at = 0;
      let shrunk = 0;
      for (const c of got.slice(0, -1)) {
        // The shortest run of whole lines from `at` reaching the size for `at`.
        const want = sizeAt(at);
        if (want < chunkBytes) shrunk++;
        expect(c.length).toBeGreaterThanOrEqual(want);
        expect(c.subarray(0, c.length - 1).lastIndexOf(10) + 1).toBeLessThan(want);
        at += c.length;
      }
      expect(shrunk, `chunks of ${chunkBytes}`).toBeGreaterThan(0);
    }
  });

  it('an error during the COPY reaches the caller and the connection still works', async () => {
    const client = await t.connect('ledgerflow_reader').$client.connect();
    try {
      const failing = client.query(
        new CopyLineStream('COPY (SELECT 1 / (g - 3) FROM generate_series(1, 5) g) TO STDOUT', 1 << 20, []),
      );
      await expect(
        (async () => {
          for await (const b of failing as AsyncIterable<Buffer>) void b;
        })(),
      ).rejects.toThrow(/division by zero/);
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      client.release();
    }
  });
});
