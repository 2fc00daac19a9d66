import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEventsFixture } from '../bench/api/fixture';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { APPEND_EVENTS_SQL, appendEventsArgs } from './support/append-events-args';
import { collectPlans, tableReads } from './support/plans';

/**
 * A stream that began after the last ANALYZE (the API's `access` stream on a ledger analysed
 * before its first read) is absent from the statistics, so the planner takes it for one row: the
 * one-statement append then probed its idempotency key by scanning the stream's primary key and
 * filtering every event, and each read record cost more than the one before (1.6 → 10.1 ms over
 * ~21,000 records in the 1M-event API bench). The two indexes led by `stream` then cost within
 * the planner's 1 % fuzz of each other for that stream, and which one it took depended on the
 * order it met them in. The probe must stay one index look-up per key (ledger_lock_head, the
 * batched append's probe, had the same defect: 100 keys read the 2,000-event stream 100 times).
 */
let t: TestDatabase;
const FIXTURE = 100_000;
const FRESH = 2000;

beforeAll(async () => {
  t = await createTestDatabase();
  // The API bench's fixture: 100k events in 8 streams, its indexes rebuilt after the load, ANALYZE.
  await buildEventsFixture(t.ownerUrl, FIXTURE, { logged: false });
  // No autovacuum: the statistics stay as they were at the fixture's ANALYZE.
  await t.asOwner('ALTER TABLE ledger_events SET (autovacuum_enabled = false)');
  const ledger = createLedger(t.connect());
  for (let k = 0; k < FRESH / 1000; k++)
    await ledger.appendMany(
      Array.from({ length: 1000 }, (_, j) => ({
        event: sampleEvent({ payload: { j } }),
        idempotencyKey: `fresh-${k}-${j}`,
      })),
      { stream: 'fresh' },
    );
}, 120_000);
afterAll(() => t.drop());

/** Rows of ledger_events the statements of `sql` whose text contains `marker` read (rolled back). */
async function rowsRead(c: pg.Client, plansOf: Plans, sql: string, params: unknown[], marker: string) {
  const before = plansOf(marker).length;
  await c.query('BEGIN');
  const r = await c.query(sql, params);
  await c.query('ROLLBACK');
  const plans = plansOf(marker).slice(before);
  expect(plans.length).toBeGreaterThan(0);
  const read = plans.reduce((sum, p) => sum + (tableReads(p.Plan).ledger_events ?? 0), 0);
  return { row: r.rows[0] as Record<string, unknown>, read };
}

type Plans = Awaited<ReturnType<typeof collectPlans>>['plansOf'];

describe('a stream begun after the last ANALYZE', () => {
  it('ledger_append_events appends without reading the stream, before and after the generic-plan switch', async () => {
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      const { plansOf } = await collectPlans(c);
      const append = APPEND_EVENTS_SQL;
      // Calls 1-5 of a session are planned for their values, later ones maybe generically: both.
      for (let i = 0; i < 8; i++) {
        const { row, read } = await rowsRead(
          c,
          plansOf,
          append,
          appendEventsArgs('fresh', `new-${i}`),
          'ANY (p_keys)',
        );
        expect(Number(row.seq)).toBe(FRESH + 1);
        // One index look-up: before, every event of the stream (2,000) read and filtered away.
        expect(read, `call ${i + 1}`).toBeLessThan(5);
      }
    } finally {
      await c.end();
    }
  });

  it('ledger_append_events still returns the event already appended under a known key', async () => {
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      const r = await c.query<{ seq: string; created: boolean }>(
        `SELECT seq::text, created FROM ledger_append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
        appendEventsArgs('fresh', 'fresh-1-999'),
      );
      expect(r.rows).toEqual([{ seq: String(FRESH), created: false }]);
    } finally {
      await c.end();
    }
  });

  it('ledger_lock_head checks new keys without reading the stream', async () => {
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      const { plansOf } = await collectPlans(c);
      const keys = Array.from({ length: 100 }, (_, j) => `new-${j}`);
      for (let i = 0; i < 8; i++) {
        const { row, read } = await rowsRead(
          c,
          plansOf,
          'SELECT * FROM ledger_lock_head($1, $2)',
          ['fresh', keys],
          'e.idempotency_key = k.key',
        );
        expect(Number(row.head_seq)).toBe(FRESH);
        // The head row and one look-up per key that finds nothing.
        expect(read, `call ${i + 1}`).toBeLessThan(5);
      }
    } finally {
      await c.end();
    }
  });
});
