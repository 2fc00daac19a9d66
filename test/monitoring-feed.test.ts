import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { listAlerts, type MonitoringDeps } from '../services/monitoring';
import { loadConfig } from '../runtime/config';
import { startNatsServer } from '../runtime/nats-server';
import { freePort } from '../runtime/temporal-server';
import {
  connectBroker,
  ensureFeed,
  feedNames,
  engineProcessor,
  listDeadLetters,
  partitionOf,
  publishFile,
  startFeedConsumer,
  TransientFeedError,
  type BatchProcessor,
} from '../services/monitoring/feed';
import { createTestDatabase, spawnWorkerProcess, waitFor, type TestDatabase } from './support';
import { createTestFeed, dayOfTransactions, feedState, natsUrl, publishRaw } from './feed-helpers';
import { HOUR, deps, jsonl, tx } from './monitoring-helpers';

const dbs: TestDatabase[] = [];
async function database(): Promise<{ t: TestDatabase; d: MonitoringDeps }> {
  const t = await createTestDatabase();
  dbs.push(t);
  return { t, d: deps(t) };
}
afterAll(async () => {
  for (const t of dbs) await t.drop();
});

const file = (name: string, text: string) => {
  const f = path.join(os.tmpdir(), `lf-feed-${process.pid}-${name}.jsonl`);
  writeFileSync(f, text);
  return f;
};
const count = async (t: TestDatabase, sql: string) =>
  Number((await t.asOwner<{ n: string }>(sql)).rows[0]!.n);

/** Alerts as comparable rows (ids are derived from rule set, typology and trigger transaction). */
async function alertRows(d: MonitoringDeps) {
  const { alerts } = await listAlerts(d.db, {});
  return alerts
    .map(
      (a) =>
        `${a.alert_id} ${a.typology} ${a.decision} ${a.trigger_transaction_id} ${a.transaction_ids.join(',')}`,
    )
    .sort();
}

/** Waits until every message of the feed is acknowledged (or dead-lettered). */
async function drained(feed: Awaited<ReturnType<typeof createTestFeed>>, what: string) {
  await waitFor(
    async () => {
      const s = await feedState(feed.nc, feed.names);
      return s.pending === 0 && s.ackPending === 0;
    },
    90_000,
    what,
  );
}

describe('tx publish', () => {
  it('a bad line rejects the whole file with its line number, without personal data, and publishes nothing', async () => {
    const feed = await createTestFeed();
    const good = tx('pub-1', 0, { counterparty_id: 'Jane Q. Public' });
    const bad = { ...tx('pub-1', HOUR, { counterparty_id: 'Jane Q. Public' }), amount: '-5' };
    const f = file('bad', jsonl([good, good, bad]));
    await expect(publishFile(feed.nc, feed.names, f)).rejects.toThrow(
      /line 3: amount: .*nothing was published$/,
    );
    const err = await publishFile(feed.nc, feed.names, f).catch((e: Error) => e);
    // After the file name (a temp path that may itself contain "-5"): no value from the line.
    const message = String((err as Error).message);
    expect(message.slice(message.indexOf(' line '))).not.toMatch(/Jane|-5/);
    expect((await feedState(feed.nc, feed.names)).messages).toBe(0);
    const ok = await publishFile(feed.nc, feed.names, file('good', jsonl([good, good])));
    expect(ok).toMatchObject({ lines: 2, published: 1, duplicates: 1 });
    await feed.nc.close();
  });
});

describe('the feed consumer', () => {
  let t: TestDatabase;
  let d: MonitoringDeps;
  beforeAll(async () => ({ t, d } = await database()));

  it('dead-letters invalid messages with their error, and a message failing N deliveries; the rest is processed', async () => {
    const feed = await createTestFeed({ ackWaitMs: 2_000, maxDeliveries: 2 });
    const poison = tx('dl-1', 2 * HOUR);
    const valid = [tx('dl-1', 0), tx('dl-1', HOUR), poison, tx('dl-1', 3 * HOUR)];
    const engine = engineProcessor(d, { source: 'test-feed' });
    // A processor whose one transaction always fails (as a bug or an unreadable state would).
    const failing: BatchProcessor = async (batch, lease) => {
      if (batch.some((m) => m.text.includes(poison.transaction_id))) throw new Error('cannot evaluate');
      return engine(batch, lease);
    };
    await publishRaw(feed.nc, feed.names, [
      ...valid.map((v) => JSON.stringify(v)),
      '{not json',
      JSON.stringify({ ...tx('dl-1', 4 * HOUR), currency: 'XXQ', counterparty_id: 'Jane Q. Public' }),
    ]);
    const consumer = await startFeedConsumer({
      nc: feed.nc,
      names: feed.names,
      pool: d.db.$client,
      settings: feed.settings,
      process: failing,
    });
    await drained(feed, 'the feed to drain');
    await consumer.stop();
    const dead = await listDeadLetters(feed.nc, feed.names);
    expect(dead.map((x) => [x.feedSeq, x.error])).toEqual(
      expect.arrayContaining([
        [5, 'malformed JSON'],
        [6, expect.stringMatching(/^currency: /)],
        [3, 'Error: cannot evaluate'],
      ]),
    );
    expect(dead).toHaveLength(3);
    expect(dead.find((x) => x.feedSeq === 3)!.deliveries).toBe(2);
    expect(JSON.stringify(dead)).not.toMatch(/Jane/);
    expect(consumer.stats).toMatchObject({ acked: 3, deadLettered: 3 });
    expect(
      await count(t, `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id = 'dl-1'`),
    ).toBe(3);
    await feed.nc.close();
  });

  it('an outage (TransientFeedError) holds the batch and retries it without spending deliveries', async () => {
    const feed = await createTestFeed({ ackWaitMs: 2_000, maxDeliveries: 1 });
    const engine = engineProcessor(d, { source: 'test-outage' });
    let outages = 3;
    const flaky: BatchProcessor = async (batch, lease) => {
      if (outages-- > 0) throw new TransientFeedError('PostgreSQL unreachable');
      return engine(batch, lease);
    };
    await publishRaw(feed.nc, feed.names, [
      JSON.stringify(tx('out-1', 0)),
      JSON.stringify(tx('out-1', HOUR)),
    ]);
    const consumer = await startFeedConsumer({
      nc: feed.nc,
      names: feed.names,
      pool: d.db.$client,
      settings: feed.settings,
      process: flaky,
    });
    await drained(feed, 'the feed to drain after the outage');
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ acked: 2, deadLettered: 0 });
    expect(consumer.stats.retried).toBeGreaterThanOrEqual(3);
    expect(
      await count(t, `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id = 'out-1'`),
    ).toBe(2);
    await feed.nc.close();
  });

  it('redelivery after a consumer kill -9 between commit and ack loses nothing and duplicates nothing', async () => {
    const { t, d } = await database();
    const { d: refDeps } = await database();
    const feed = await createTestFeed({ ackWaitMs: 1_500, maxDeliveries: 5 });
    const txs = dayOfTransactions('crash', 40);
    const f = file('crash', jsonl(txs));
    expect((await publishFile(feed.nc, feed.names, f)).published).toBe(txs.length);
    // The reference: the same transactions through one in-process consumer on another database.
    const refFeed = await createTestFeed();
    await publishFile(refFeed.nc, refFeed.names, f);
    const refConsumer = await startFeedConsumer({
      nc: refFeed.nc,
      names: refFeed.names,
      pool: refDeps.db.$client,
      process: engineProcessor(refDeps, { source: 'ref' }),
    });
    await drained(refFeed, 'the reference feed');
    await refConsumer.stop();

    const worker = spawnWorkerProcess({
      databaseUrl: t.ownerUrl,
      temporalAddress: inject('temporalAddress'),
      taskQueue: `feed-crash-${process.pid}`,
      env: {
        NATS_URL: natsUrl(),
        LEDGERFLOW_FEED_STREAM: feed.names.stream,
        LEDGERFLOW_FEED_ACK_WAIT_MS: '1500',
      },
      hooks: { feedHoldBeforeAckMs: 600_000 },
    });
    const exited = new Promise((r) => worker.once('exit', r));
    // Its first batch is committed in PostgreSQL, not acknowledged: kill -9 now.
    await waitFor(
      async () =>
        (await count(
          t,
          `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id LIKE 'crash-%'`,
        )) > 0,
      90_000,
      'the worker to commit its first batch',
    );
    worker.kill('SIGKILL');
    await exited;
    const committed = await count(
      t,
      `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id LIKE 'crash-%'`,
    );
    expect(committed).toBeGreaterThan(0);

    const consumer = await startFeedConsumer({
      nc: feed.nc,
      names: feed.names,
      pool: d.db.$client,
      settings: feed.settings,
      process: engineProcessor(d, { source: 'after-crash' }),
    });
    await drained(feed, 'the redelivered feed to drain');
    await consumer.stop();
    // The killed worker acknowledged nothing: every message, committed or not, came back here.
    expect(consumer.stats.acked).toBe(txs.length);
    expect(
      await count(t, `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id LIKE 'crash-%'`),
    ).toBe(txs.length);
    const mine = await alertRows(d);
    expect(mine).toEqual(await alertRows(refDeps));
    expect(mine.length).toBeGreaterThan(5);
    // One ledger event per alert, never two.
    expect(
      await count(
        t,
        `SELECT count(*) AS n FROM ledger_events WHERE event_type = 'monitoring.alert_raised' AND subject_id LIKE 'crash-%'`,
      ),
    ).toBe(mine.length);
    expect((await listDeadLetters(feed.nc, feed.names)).length).toBe(0);
    await Promise.all([feed.nc.close(), refFeed.nc.close()]);
  }, 180_000);

  it('two consumers on the same accounts produce the same alerts as one', async () => {
    const { d: one } = await database();
    const { d: two } = await database();
    const txs = dayOfTransactions('pair', 30);
    const f = file('pair', jsonl(txs));
    // No redelivery wanted here (a loaded machine must not turn slow batches into repeats).
    const settings = { ackWaitMs: 30_000, maxDeliveries: 5 };
    const single = await createTestFeed(settings);
    const double = await createTestFeed(settings);
    const member = (feed: typeof single, d: MonitoringDeps, source: string) =>
      startFeedConsumer({
        nc: feed.nc,
        names: feed.names,
        pool: d.db.$client,
        settings,
        batchSize: 5,
        rebalanceMs: 200,
        process: engineProcessor(d, { source }),
      });
    const consumers = [
      await member(single, one, 'one'),
      await member(double, two, 'two'),
      await member(double, two, 'two'),
    ];
    // Both members of the pair hold their share before anything is published.
    await waitFor(
      async () => consumers[1]!.owned().length === 4 && consumers[2]!.owned().length === 4,
      60_000,
      'the two members to share the partitions',
    );
    expect([...consumers[1]!.owned(), ...consumers[2]!.owned()].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await publishFile(single.nc, single.names, f);
    await publishFile(double.nc, double.names, f);
    await drained(single, 'the single-consumer feed');
    await drained(double, 'the two-consumer feed');
    for (const c of consumers) await c.stop();
    // Both consumers of the pair took part.
    expect(consumers[1]!.stats.acked).toBeGreaterThan(0);
    expect(consumers[2]!.stats.acked).toBeGreaterThan(0);
    expect(consumers[1]!.stats.acked + consumers[2]!.stats.acked).toBe(txs.length);
    const a = await alertRows(one);
    expect(a.length).toBeGreaterThan(5);
    expect(await alertRows(two)).toEqual(a);
    await Promise.all([single.nc.close(), double.nc.close()]);
  }, 120_000);

  it('an account whose transaction is in hand at one consumer is not evaluated by another meanwhile', async () => {
    const { d } = await database();
    const feed = await createTestFeed({ ackWaitMs: 5_000, maxDeliveries: 3 });
    const engine = engineProcessor(d, { source: 'order' });
    // X is held up; Y, in a partition the second member takes, shows the second member working.
    const x = 'ord-x';
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let heldUp = false;
    const recording =
      (who: string): BatchProcessor =>
      async (batch, lease) => {
        const ids = batch.map((m) => (JSON.parse(m.text) as { transaction_id: string }).transaction_id);
        if (ids.includes(`${x}-first`)) {
          heldUp = true;
          await gate;
        }
        const r = await engine(batch, lease);
        order.push(...ids.map((id) => `${who}:${id}`));
        return r;
      };
    const first = await startFeedConsumer({
      nc: feed.nc,
      names: feed.names,
      pool: d.db.$client,
      settings: feed.settings,
      batchSize: 1,
      rebalanceMs: 200,
      process: recording('A'),
    });
    await waitFor(async () => first.owned().length === 8, 60_000, 'the first member to hold every partition');
    await publishRaw(feed.nc, feed.names, [JSON.stringify({ ...tx(x, 0), transaction_id: `${x}-first` })]);
    await waitFor(async () => heldUp, 60_000, "the first member to hold X's first transaction");
    // A second member joins while X's first transaction is in hand; X's second one arrives.
    const second = await startFeedConsumer({
      nc: feed.nc,
      names: feed.names,
      pool: d.db.$client,
      settings: feed.settings,
      batchSize: 1,
      rebalanceMs: 200,
      process: recording('B'),
    });
    await waitFor(async () => second.owned().length >= 3, 60_000, 'the second member to take partitions');
    const y = [...Array(200).keys()]
      .map((i) => `ord-y${i}`)
      .find((a) => second.owned().includes(partitionOf(feed.names, a)))!;
    await publishRaw(feed.nc, feed.names, [
      JSON.stringify({ ...tx(x, HOUR), transaction_id: `${x}-second` }),
      JSON.stringify({ ...tx(y, HOUR), transaction_id: `${y}-only` }),
    ]);
    await waitFor(async () => order.includes(`B:${y}-only`), 60_000, "the second member to process Y's");
    // X's partition stays with the member that has X's first transaction in hand.
    expect(second.owned()).not.toContain(partitionOf(feed.names, x));
    expect(order.filter((o) => o.includes(x))).toEqual([]);
    release();
    await drained(feed, 'the feed to drain');
    await Promise.all([first.stop(), second.stop()]);
    const xs = order.filter((o) => o.includes(x)).map((o) => o.slice(2));
    expect(xs).toEqual([`${x}-first`, `${x}-second`]);
    await feed.nc.close();
  }, 120_000);
});

describe('partition takeover', () => {
  it("a member taking over a dead member's partition gets its unacknowledged messages before newer ones", async () => {
    const { t, d } = await database();
    const feed = await createTestFeed({ ackWaitMs: 3_000, maxDeliveries: 5 });
    const engine = engineProcessor(d, { source: 'takeover' });
    const x = 'take-x';
    const order: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let committed = false;
    const recording =
      (who: string): BatchProcessor =>
      async (batch, lease) => {
        const r = await engine(batch, lease);
        const ids = batch.map((m) => (JSON.parse(m.text) as { transaction_id: string }).transaction_id);
        order.push(...ids.filter((id) => id.startsWith(x)).map((id) => `${who}:${id}`));
        // The first member commits X's first transaction and then hangs before its ack.
        if (who === 'A') {
          committed = true;
          await gate;
        }
        return r;
      };
    const member = (who: string) =>
      startFeedConsumer({
        nc: feed.nc,
        names: feed.names,
        pool: d.db.$client,
        settings: feed.settings,
        batchSize: 1,
        rebalanceMs: 200,
        process: recording(who),
      });
    const a = await member('A');
    await waitFor(async () => a.owned().length === 8, 60_000, 'the first member to hold every partition');
    await publishRaw(feed.nc, feed.names, [JSON.stringify({ ...tx(x, 0), transaction_id: `${x}-1` })]);
    await waitFor(async () => committed, 60_000, "the first member to commit X's first transaction");
    // It leaves (its other partitions go), then its connections die: X's lock goes, its ack never comes.
    const aStopped = a.stop();
    await waitFor(
      async () => a.owned().length <= 1,
      60_000,
      'the first member to hand over its idle partitions',
    );
    await t.asOwner(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      `ledgerflow-feed ${feed.names.stream}`,
    ]);
    // X's second transaction is in the stream before anyone else takes the partition.
    await publishRaw(feed.nc, feed.names, [JSON.stringify({ ...tx(x, HOUR), transaction_id: `${x}-2` })]);
    const b = await member('B');
    await waitFor(async () => order.includes(`B:${x}-2`), 60_000, "the second member to process X's second");
    release();
    await aStopped;
    await drained(feed, 'the feed to drain');
    await b.stop();
    expect(order).toEqual([`A:${x}-1`, `B:${x}-1`, `B:${x}-2`]);
    expect(
      await count(t, `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id = '${x}'`),
    ).toBe(2);
    await feed.nc.close();
  }, 120_000);
});

describe('broker restart', () => {
  it('a consumer resumes after its broker went down and came back; nothing is lost', async () => {
    const { t, d } = await database();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-feed-broker-'));
    const port = await freePort();
    const lookup = loadConfig();
    let broker = await startNatsServer({ dir, port, lookup });
    const nc = await connectBroker(broker.url, 'ledgerflow-test');
    const names = feedNames('RESTART');
    await ensureFeed(nc, names);
    const consumer = await startFeedConsumer({
      nc,
      names,
      pool: d.db.$client,
      process: engineProcessor(d, { source: 'restart' }),
    });
    const stored = () =>
      count(t, `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id = 'rs-1'`);
    try {
      await publishFile(nc, names, file('rs-a', jsonl([tx('rs-1', 0), tx('rs-1', HOUR)])));
      await waitFor(async () => (await stored()) === 2, 30_000, 'the first transactions');
      await broker.stop();
      await expect(publishFile(nc, names, file('rs-b', jsonl([tx('rs-1', 2 * HOUR)])))).rejects.toThrow();
      broker = await startNatsServer({ dir, port, lookup });
      await waitFor(
        () =>
          nc.rtt().then(
            () => true,
            () => false,
          ),
        30_000,
        'the client to reconnect',
      );
      await publishFile(nc, names, file('rs-c', jsonl([tx('rs-1', 3 * HOUR), tx('rs-1', 4 * HOUR)])));
      await waitFor(async () => (await stored()) === 4, 60_000, 'the consumer to resume after the restart');
    } finally {
      await consumer.stop();
      await nc.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
