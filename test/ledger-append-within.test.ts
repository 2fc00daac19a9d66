import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerTransaction } from '../ledger/append';
import { createLedger, type Ledger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

/**
 * `withinTransaction`: a projection written in the append's own transaction (the loan status and
 * enrichment rows use it), so the event and the projection commit together in one commit flush.
 */
let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner('CREATE TABLE within_probe (k text PRIMARY KEY, n int NOT NULL DEFAULT 1)');
  await t.asOwner('GRANT SELECT, INSERT, UPDATE ON within_probe TO ledgerflow_writer');
  ledger = createLedger(t.connect());
});
afterAll(() => t.drop());

const events = async (stream: string) =>
  Number((await t.asOwner('SELECT count(*) AS n FROM ledger_events WHERE stream = $1', [stream])).rows[0]?.n);
const probes = async (prefix: string) =>
  (
    await t.asOwner<{ k: string; n: number }>('SELECT k, n FROM within_probe WHERE k LIKE $1 ORDER BY k', [
      `${prefix}%`,
    ])
  ).rows;
const upsert = (k: string) => async (tx: LedgerTransaction) => {
  await tx.query(
    'INSERT INTO within_probe (k) VALUES ($1) ON CONFLICT (k) DO UPDATE SET n = within_probe.n + 1',
    [k],
  );
};

describe('append withinTransaction', () => {
  it('runs in the open transaction: it sees the event, other connections see neither until the commit', async () => {
    const seen: Array<{ inside: number; outside: number }> = [];
    const r = await ledger.append(sampleEvent(), {
      stream: 'w1',
      idempotencyKey: 'w1-a',
      withinTransaction: async (tx) => {
        await upsert('w1-a')(tx);
        const inside = await tx.query<{ n: string }>(
          `SELECT count(*) AS n FROM ledger_events WHERE stream = 'w1' AND idempotency_key = 'w1-a'`,
        );
        seen.push({ inside: Number(inside.rows[0]?.n), outside: await events('w1') });
      },
    });
    expect(r.created).toBe(true);
    expect(seen).toEqual([{ inside: 1, outside: 0 }]);
    expect(await events('w1')).toBe(1);
    expect(await probes('w1-')).toEqual([{ k: 'w1-a', n: 1 }]);
  });

  it('a failing projection writes nothing: neither the event nor its rows', async () => {
    await expect(
      ledger.append(sampleEvent(), {
        stream: 'w2',
        idempotencyKey: 'w2-a',
        withinTransaction: async (tx) => {
          await upsert('w2-a')(tx);
          throw new Error('projection refused');
        },
      }),
    ).rejects.toThrow('projection refused');
    expect(await events('w2')).toBe(0);
    expect(await probes('w2-')).toEqual([]);
  });

  it('group commit: one failing projection fails only its own append; the others commit', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        ledger.append(sampleEvent(), {
          stream: 'w3',
          idempotencyKey: `w3-${i}`,
          withinTransaction:
            i === 2
              ? async () => {
                  throw new Error('refused');
                }
              : upsert(`w3-${i}`),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    expect(await events('w3')).toBe(5);
    expect((await probes('w3-')).map((p) => p.k)).toEqual(['w3-0', 'w3-1', 'w3-3', 'w3-4', 'w3-5']);
  });

  it('a known key writes no second event and runs the (idempotent) projection again', async () => {
    const first = await ledger.append(sampleEvent(), {
      stream: 'w4',
      idempotencyKey: 'w4-a',
      withinTransaction: upsert('w4-a'),
    });
    const again = await ledger.append(sampleEvent(), {
      stream: 'w4',
      idempotencyKey: 'w4-a',
      withinTransaction: upsert('w4-a'),
    });
    expect(again).toMatchObject({ created: false, seq: first.seq });
    expect(await events('w4')).toBe(1);
    expect(await probes('w4-')).toEqual([{ k: 'w4-a', n: 2 }]);
  });

  it('appendMany runs it once, in the same transaction as all its events', async () => {
    await expect(
      ledger.appendMany(
        [
          { event: sampleEvent(), idempotencyKey: 'w5-a' },
          { event: sampleEvent(), idempotencyKey: 'w5-b' },
        ],
        {
          stream: 'w5',
          withinTransaction: async () => {
            throw new Error('refused');
          },
        },
      ),
    ).rejects.toThrow('refused');
    expect(await events('w5')).toBe(0);
    await ledger.appendMany(
      [
        { event: sampleEvent(), idempotencyKey: 'w5-a' },
        { event: sampleEvent(), idempotencyKey: 'w5-b' },
      ],
      { stream: 'w5', withinTransaction: upsert('w5-many') },
    );
    expect(await events('w5')).toBe(2);
    expect(await probes('w5-')).toEqual([{ k: 'w5-many', n: 1 }]);
  });
});
