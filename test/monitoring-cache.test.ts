import { afterAll, describe, expect, it } from 'vitest';
import type { Transaction } from '../core/monitoring/transaction';
import { listAlerts, type MonitoringDeps } from '../services/monitoring';
import { engineProcessor, type BatchProcessor, type FeedMessage } from '../services/monitoring/feed';
import { AccountCache } from '../services/monitoring/state';
import { createTestDatabase, type TestDatabase } from './helpers';
import { HOUR, deps, tx } from './monitoring-helpers';

const dbs: TestDatabase[] = [];
async function database(): Promise<{ t: TestDatabase; d: MonitoringDeps }> {
  const t = await createTestDatabase();
  dbs.push(t);
  return { t, d: deps(t) };
}
afterAll(async () => {
  for (const t of dbs) await t.drop();
});

let seq = 0;
const messages = (txs: Transaction[]): FeedMessage[] =>
  txs.map((t) => ({ seq: ++seq, deliveries: 1, text: JSON.stringify(t) }));

/** Runs `batch` through `p` on a connection of `d`'s pool, as a partition's lock connection would. */
async function run(d: MonitoringDeps, p: BatchProcessor, batch: Transaction[]) {
  const client = await d.db.$client.connect();
  try {
    return await p(messages(batch), { partition: 0, client });
  } finally {
    client.release();
  }
}

const cash = (account: string, at: number, amount: string) =>
  tx(account, at, { channel: 'cash', direction: 'credit', amount, counterparty_id: 'branch' });

const alertRows = async (d: MonitoringDeps) =>
  (await listAlerts(d.db, {})).alerts.map((a) => `${a.typology} ${a.trigger_transaction_id}`).sort();

describe('the account-state cache of the feed', () => {
  it('a worker whose cached account was written by another worker since reloads it (same alerts as one worker)', async () => {
    const { d } = await database();
    const { d: ref } = await database();
    // Structuring needs all three deposits: each worker sees only some of them in its batches.
    const deposits = [cash('c-1', HOUR, '9100.00'), cash('c-1', 2 * HOUR, '9200.00')];
    const third = cash('c-1', 3 * HOUR, '9300.00');
    const card = tx('c-1', 0);
    const cacheA = new AccountCache();
    const cacheB = new AccountCache();
    const a = engineProcessor(d, { source: 'worker-a', cache: cacheA });
    const b = engineProcessor(d, { source: 'worker-b', cache: cacheB });
    await run(d, a, [card]);
    await run(d, b, deposits);
    expect(await alertRows(d)).toEqual([]);
    // A's cached state of c-1 (one card payment) is stale now: it must see B's deposits.
    const misses = cacheA.stats.misses;
    await run(d, a, [third]);
    const single = engineProcessor(ref, { source: 'one-worker' });
    for (const batch of [[card], deposits, [third]]) await run(ref, single, batch);
    const alerts = await alertRows(d);
    expect(alerts).toEqual([`structuring ${third.transaction_id}`]);
    expect(alerts).toEqual(await alertRows(ref));
    expect(cacheA.stats.misses).toBe(misses + 1);
  });

  it('a valid cache answers without reloading, and gives the same alerts as loading every batch', async () => {
    const { d } = await database();
    const { d: ref } = await database();
    const cache = new AccountCache();
    const cached = engineProcessor(d, { source: 'cached', cache });
    const batches = [0, 1, 2, 3].map((k) => [tx('c-2', k * HOUR), cash('c-2', k * HOUR + 60_000, '9400.00')]);
    for (const batch of batches) {
      await run(d, cached, batch);
      // A processor with an empty cache every batch: always loads from PostgreSQL.
      await run(ref, engineProcessor(ref, { source: 'uncached', cache: new AccountCache() }), batch);
    }
    expect(cache.stats).toEqual({ hits: 3, misses: 0 });
    expect((await alertRows(d)).length).toBeGreaterThan(0);
    expect(await alertRows(d)).toEqual(await alertRows(ref));
  });

  it('a purge of stored transactions changes the account mark, so cached states are reloaded', async () => {
    const { t, d } = await database();
    const cache = new AccountCache();
    const p = engineProcessor(d, { source: 'purged', cache });
    await run(d, p, [tx('c-3', 0), tx('c-3', HOUR)]);
    const mark = async () =>
      (
        await t.asOwner<{ v: number }>(
          `SELECT version AS v FROM monitoring_account_marks WHERE account_id = 'c-3'`,
        )
      ).rows[0]!.v;
    const before = await mark();
    await t.asOwner(`DELETE FROM monitoring_transactions WHERE account_id = 'c-3'`);
    expect(await mark()).toBe(before + 1);
    const misses = cache.stats.misses;
    await run(d, p, [tx('c-3', 2 * HOUR)]);
    expect(cache.stats.misses).toBe(misses + 1);
  });
});
