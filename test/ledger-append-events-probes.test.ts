import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

/**
 * The one-statement append (`ledger_append_events`, read records) must look its idempotency keys
 * up with index probes, whatever the statistics say: a stream that grew since the last ANALYZE
 * must not be read whole per append.
 */
let t: TestDatabase;
const STREAM_SIZE = 3000;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner('ALTER TABLE ledger_events SET (autovacuum_enabled = false)');
  const ledger = createLedger(t.connect());
  for (let k = 0; k < STREAM_SIZE / 1000; k++)
    await ledger.appendMany(
      Array.from({ length: 1000 }, (_, j) => ({
        event: sampleEvent({ payload: { j } }),
        idempotencyKey: `old-${k}-${j}`,
      })),
      { stream: 'grown' },
    );
});
afterAll(() => t.drop());

describe('ledger_append_events', () => {
  it('appends one event to a 3,000-event stream with stale statistics without reading the stream', async () => {
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      const call = (key: string) =>
        c.query(
          `SELECT * FROM ledger_append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
          [
            'grown',
            [key],
            [randomUUID()],
            ['test.event'],
            ['user'],
            ['u-1'],
            ['thing'],
            ['t-1'],
            ['read'],
            ['success'],
            [null],
            [null],
            [{}],
            [1],
            [Buffer.alloc(32)],
            [Buffer.alloc(16)],
            [{}],
            ['{"a":"'],
            ['"}'],
          ],
        );
      // plpgsql switches to a generic plan after five calls in a session: check past that.
      for (let i = 0; i < 8; i++) {
        await c.query('BEGIN');
        await call(`warm-${i}`);
        await c.query('ROLLBACK');
      }
      await c.query('BEGIN');
      const r = await call('new-1');
      const fetched = await c.query<{ n: string }>(
        `SELECT pg_stat_get_xact_tuples_fetched('ledger_events'::regclass) AS n`,
      );
      await c.query('ROLLBACK');
      expect(Number(r.rows[0]?.seq)).toBe(STREAM_SIZE + 1);
      expect(Number(fetched.rows[0]?.n)).toBeLessThan(50);
    } finally {
      await c.end();
    }
  });
});
