import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { APPEND_EVENTS_SQL, appendEventsArgs } from './support/append-events-args';

/**
 * The append's idempotency check (`ledger_lock_head`) must cost one index probe per key, whatever
 * the statistics say: a stream that grew since the last ANALYZE (here: never analysed) made the
 * planner read every row of the stream per batch, so appends slowed down as the stream grew.
 * The one-statement append (`ledger_append_events`, read records) is held to the same: a guard.
 */
let t: TestDatabase;
const STREAM_SIZE = 3000;

beforeAll(async () => {
  t = await createTestDatabase();
  // No autovacuum: the statistics stay as stale as the first minutes of a new stream.
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

/** Heap rows of ledger_events read by one ledger_lock_head call with `keys`, and what it returned. */
async function lockHead(keys: string[]) {
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    const r = await c.query<{ head_seq: string; existing: Array<{ idempotency_key: string; seq: string }> }>(
      'SELECT * FROM ledger_lock_head($1, $2)',
      ['grown', keys],
    );
    const fetched = await c.query<{ n: string }>(
      `SELECT pg_stat_get_xact_tuples_fetched('ledger_events'::regclass) AS n`,
    );
    await c.query('ROLLBACK');
    return { row: r.rows[0], heapRowsRead: Number(fetched.rows[0]?.n) };
  } finally {
    await c.end();
  }
}

describe('ledger_lock_head', () => {
  it('checks 1,000 new keys against a 3,000-event stream with stale statistics without reading the stream', async () => {
    const keys = Array.from({ length: 1000 }, (_, j) => `new-${j}`);
    const { row, heapRowsRead } = await lockHead(keys);
    expect(Number(row?.head_seq)).toBe(STREAM_SIZE);
    expect(row?.existing).toEqual([]);
    // The head row plus at most a few: before, every row of the stream (3,000).
    expect(heapRowsRead).toBeLessThan(50);
  });

  it('still returns the events already appended under known keys', async () => {
    const { row } = await lockHead(['new-x', 'old-2-999', 'old-0-0']);
    expect(row?.existing.map((e) => [e.idempotency_key, Number(e.seq)]).sort()).toEqual([
      ['old-0-0', 1],
      ['old-2-999', 3000],
    ]);
  });
});

describe('ledger_append_events', () => {
  it('appends one event to a 3,000-event stream with stale statistics without reading the stream', async () => {
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      const call = (key: string) => c.query(APPEND_EVENTS_SQL, appendEventsArgs('grown', key));
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
