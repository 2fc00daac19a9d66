import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, type Ledger } from '../ledger/ledger';
import { LedgerValidationError } from '../ledger/errors';
import type { Database } from '../db/client';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
let db: Database;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  ledger = createLedger(db);
});
afterAll(() => t.drop());

const count = async (stream = 'default') =>
  Number((await t.asOwner('SELECT count(*) AS n FROM ledger_events WHERE stream = $1', [stream])).rows[0]?.n);

describe('appendAuditEvent', () => {
  it('connects as the writer role, not the owner', async () => {
    const r = await db.$client.query('SELECT current_user AS u');
    expect(r.rows[0].u).toBe('ledgerflow_writer');
  });

  it('chains events with gapless seq and database time', async () => {
    const a = await ledger.append(sampleEvent(), { idempotencyKey: 'chain-1' });
    const b = await ledger.append(sampleEvent(), { idempotencyKey: 'chain-2' });
    expect(b.seq).toBe(a.seq + 1);
    expect(a.created && b.created).toBe(true);
    expect(a.occurredAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const rows = await t.asOwner<{ prev: string; hash: string }>(
      "SELECT encode(prev_hash,'hex') AS prev, encode(hash,'hex') AS hash FROM ledger_events WHERE seq = $1",
      [b.seq],
    );
    expect(rows.rows[0]?.prev).toBe(a.hash);
  });

  it('same idempotency key appended 3 times gives one event', async () => {
    const before = await count();
    const results = await Promise.all(
      [1, 2, 3].map(() => ledger.append(sampleEvent(), { idempotencyKey: 'retry-key' })),
    );
    const again = await ledger.append(sampleEvent(), { idempotencyKey: 'retry-key' });
    expect(new Set([...results, again].map((r) => r.eventId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(again.created).toBe(false);
    expect(await count()).toBe(before + 1);
  });

  it('rejects invalid events naming the field and writes nothing', async () => {
    const before = await count();
    await expect(
      ledger.append(sampleEvent({ actor: { type: 'user' } }), { idempotencyKey: 'bad-1' }),
    ).rejects.toThrow(/actor\.id/);
    await expect(
      ledger.append(sampleEvent({ payload: { x: Number.NaN } }), { idempotencyKey: 'bad-2' }),
    ).rejects.toThrow(LedgerValidationError);
    await expect(
      ledger.append(sampleEvent({ payload: { x: 'a\u0000b' } }), { idempotencyKey: 'bad-3' }),
    ).rejects.toThrow(/payload\.x/);
    await expect(
      ledger.append(sampleEvent({ payload: { big: 'x'.repeat(300 * 1024) } }), {
        idempotencyKey: 'bad-4',
      }),
    ).rejects.toThrow(/over the 262144-byte limit/);
    await expect(
      ledger.append(sampleEvent(), { idempotencyKey: 'bad-5', stream: 'Bad Stream' }),
    ).rejects.toThrow(/stream/);
    await expect(
      ledger.appendMany([
        { event: sampleEvent(), idempotencyKey: 'batch-ok' },
        { event: sampleEvent({ outcome: 'maybe' }), idempotencyKey: 'batch-bad' },
      ]),
    ).rejects.toThrow(/event 2: .*outcome/);
    expect(await count()).toBe(before);
  });

  it('keeps one gapless chain under 16 concurrent appenders', async () => {
    const stream = 'concurrency';
    const pools = Array.from({ length: 4 }, () => t.connect());
    const poolLedgers = pools.map((p) => createLedger(p));
    await Promise.all(
      Array.from({ length: 16 }, (_, w) =>
        (async () => {
          const pool = poolLedgers[w % pools.length] as Ledger;
          for (let i = 0; i < 100; i++) {
            await pool.append(sampleEvent(), { stream, idempotencyKey: `w${w}-e${i}` });
          }
        })(),
      ),
    );
    const r = await t.asOwner<{ n: string; max: string; breaks: string }>(
      `SELECT count(*) AS n, max(seq) AS max,
              count(*) FILTER (WHERE prev IS NOT NULL AND prev_hash <> prev) AS breaks
         FROM (SELECT seq, prev_hash, lag(hash) OVER (ORDER BY seq) AS prev FROM ledger_events WHERE stream = $1) s`,
      [stream],
    );
    expect(Number(r.rows[0]?.n)).toBe(1600);
    expect(Number(r.rows[0]?.max)).toBe(1600);
    expect(Number(r.rows[0]?.breaks)).toBe(0);
  });
});
