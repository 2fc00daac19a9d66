import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, createDatabase } from '../db/client';
import { to as copyTo } from 'pg-copy-streams';
import { FIRST_CHUNK_BYTES, STREAMING_PLAN, copyChunks, copyRowsSql } from '../ledger/copy-rows';
import { createLedger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

/**
 * The verification COPY must stream rows in seq order from the first one (a merge join of the
 * two primary-key index scans), never sort the stream's whole range first: before any
 * statistics exist (a freshly loaded ledger, as in `npm run bench -- ledger`) and after ANALYZE.
 * The settings that make it so are local to the COPY's transaction.
 */
describe('verification COPY plan', () => {
  let t: TestDatabase;
  const streams = ['plan-a', 'plan-b', 'plan-c'];
  const perStream = 1500;

  beforeAll(async () => {
    t = await createTestDatabase();
    const ledger = createLedger(t.connect());
    for (const stream of streams)
      for (let k = 0; k < perStream; k += 500)
        await ledger.appendMany(
          Array.from({ length: 500 }, (_, i) => ({
            event: sampleEvent({ payload: { i: k + i, note: 'x'.repeat(100) } }),
            idempotencyKey: `${stream}-${k + i}`,
          })),
          { stream },
        );
  }, 120_000);
  afterAll(async () => {
    await t.drop();
  });

  /** The plan of the COPY's query under the streaming settings, as the reader role sees it. */
  const plan = async (afterSeq: number): Promise<string> => {
    const client = await t.connect('ledgerflow_reader').$client.connect();
    try {
      await client.query(STREAMING_PLAN);
      const copy = copyRowsSql(client.escapeLiteral('plan-a'), afterSeq);
      const select = copy.slice(copy.indexOf('(') + 1, copy.lastIndexOf(')'));
      const r = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${select}`);
      return r.rows.map((x) => x['QUERY PLAN']).join('\n');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  };

  const streamsInOrder = (p: string) => {
    expect(p).not.toMatch(/\bSort\b/);
    expect(p).toMatch(/Index Scan using ledger_events_stream_seq_pk/);
    expect(p).toMatch(/Merge Left Join/);
  };

  it('streams in index order before statistics exist and after ANALYZE, for a whole stream and a tail', async () => {
    streamsInOrder(await plan(0));
    streamsInOrder(await plan(1400));
    await t.asOwner('ANALYZE ledger_events');
    await t.asOwner('ANALYZE ledger_payloads');
    streamsInOrder(await plan(0));
    streamsInOrder(await plan(1400));
  });

  it('leaves the connection outside any transaction with the default settings', async () => {
    const db = createDatabase(t.urlFor('ledgerflow_reader'), { max: 1 });
    try {
      const before = (await db.$client.query<{ s: string }>("SELECT current_setting('enable_sort') AS s"))
        .rows[0]?.s;
      let rows = 0;
      for await (const c of copyChunks(db, 'plan-b', 0, 4096)) rows += c.rows;
      expect(rows).toBe(perStream);
      const r = await db.$client.query<{ sort: string; nestloop: string; ro: string; xact: string | null }>(
        `SELECT current_setting('enable_sort') AS sort, current_setting('enable_nestloop') AS nestloop,
                current_setting('transaction_read_only') AS ro, txid_current_if_assigned()::text AS xact`,
      );
      expect(r.rows[0]).toEqual({ sort: before, nestloop: 'on', ro: 'off', xact: null });
      // A write in the same session is not inside a leftover read-only transaction.
      await db.$client.query('BEGIN');
      expect(
        (await db.$client.query<{ ro: string }>("SELECT current_setting('transaction_read_only') AS ro"))
          .rows[0]?.ro,
      ).toBe('off');
      await db.$client.query('ROLLBACK');
      expect((await verifyLedger(db, { stream: 'plan-b' })).valid).toBe(true);
    } finally {
      await closeDatabase(db);
    }
  });

  it('cuts a small first chunk, then chunks doubling up to the full size, holding the bytes pg-copy-streams reads', async () => {
    const db = t.connect('ledgerflow_reader');
    const client = await db.$client.connect();
    const parts: Buffer[] = [];
    try {
      for await (const b of client.query(copyTo(copyRowsSql(client.escapeLiteral('plan-c'), 0))))
        parts.push(b as Buffer);
    } finally {
      client.release();
    }
    const want = Buffer.concat(parts);
    const full = 160 << 10;
    expect(want.length).toBeGreaterThan(4 * full);
    const sizes: number[] = [];
    const got: Buffer[] = [];
    for await (const c of copyChunks(db, 'plan-c', 0, full)) {
      expect(c.buf[c.buf.length - 1]).toBe(10);
      sizes.push(c.buf.length);
      got.push(Buffer.from(c.buf));
    }
    expect(Buffer.concat(got).equals(want)).toBe(true);
    // Each chunk ends at the first line end at or past its size: 64 KiB, 128, then 160 (the full size).
    const first = Math.min(full, FIRST_CHUNK_BYTES);
    const expected = [first, 2 * first, full];
    for (const [i, n] of sizes.slice(0, -1).entries()) {
      const size = expected[Math.min(i, expected.length - 1)] as number;
      expect(n, `chunk ${i}`).toBeGreaterThanOrEqual(size);
      expect(n, `chunk ${i}`).toBeLessThan(size + 4096);
    }
  });
});
