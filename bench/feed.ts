/**
 * Transaction feed: `npm run bench -- feed [--size N] [--smoke]` (N accounts, default 200).
 *
 * On a real NATS JetStream broker (NATS_URL, else an embedded nats-server) and PostgreSQL:
 * - broker raw: pipelined JetStream publish rate, and consume rate of the same consumer code with
 *   a processor that does nothing (ack only);
 * - bare pipeline: the same consumer, each transaction parsed and inserted idempotently into
 *   PostgreSQL, no rules;
 * - end to end: the same consumer into part 1's engine (rules, alerts, ledger events), the
 *   sustained rate draining a backlog, then the p50/p99 decision latency (publish → its batch
 *   committed in PostgreSQL and the ledger) at 50% of that rate.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { Transaction } from '../core/monitoring/transaction';
import { createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { startNatsServer } from '../runtime/nats-server';
import { freePort } from '../runtime/temporal-server';
import {
  accountSubject,
  connectBroker,
  engineProcessor,
  ensureFeed,
  feedNames,
  parseBatch,
  startFeedConsumer,
  type BatchProcessor,
  type FeedNames,
} from '../services/monitoring/feed';
import { AccountCache } from '../services/monitoring/state';
import { generate } from './monitoring-data';
import { fmt, rate, withBenchDatabase } from './postgres';

const DEFAULT_ACCOUNTS = 200;
const SMOKE_ACCOUNTS = 30;
const IN_FLIGHT = 1000;

export async function run(opts: { size?: number; smoke?: boolean } = {}): Promise<void> {
  await measure(opts);
}

async function withBroker<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (config.NATS_URL) return fn(config.NATS_URL);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bench-nats-'));
  const broker = await startNatsServer({
    dir: tmp,
    port: await freePort(),
    lookup: config,
    log: console.log,
  });
  try {
    return await fn(broker.url);
  } finally {
    await broker.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

let streamNo = 0;
async function freshFeed(nc: NatsConnection): Promise<FeedNames> {
  const names = feedNames(`BENCH_${process.pid}_${++streamNo}`);
  await ensureFeed(nc, names);
  return names;
}

/** Publishes pipelined (IN_FLIGHT unacknowledged at most); returns the elapsed ms. */
async function publishAll(nc: NatsConnection, names: FeedNames, txs: Transaction[]): Promise<number> {
  const js = jetstream(nc);
  const t0 = performance.now();
  for (let i = 0; i < txs.length; i += IN_FLIGHT)
    await Promise.all(
      txs
        .slice(i, i + IN_FLIGHT)
        .map((t) =>
          js.publish(accountSubject(names, t.account_id), JSON.stringify(t), { msgID: t.transaction_id }),
        ),
    );
  return performance.now() - t0;
}

/** Runs one consumer with `process` until the stream is drained; returns the elapsed ms. */
async function drain(
  nc: NatsConnection,
  names: FeedNames,
  pool: pg.Pool,
  process: BatchProcessor,
  total: number,
) {
  let done = 0;
  const counting: BatchProcessor = async (batch, lease) => {
    const r = await process(batch, lease);
    done += batch.length;
    return r;
  };
  const t0 = performance.now();
  const consumer = await startFeedConsumer({ nc, names, pool, process: counting });
  while (done < total) await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - t0;
  await consumer.stop();
  return ms;
}

/** The bare pipeline's processor: the same parsing, an idempotent insert, no rules. */
function bareProcessor(): BatchProcessor {
  return async (batch, lease) => {
    const { items, dead } = parseBatch(batch);
    await lease.client.query(
      `INSERT INTO bench_feed_bare (transaction_id, account_id, counterparty_id, channel, occurred_at, content_hash, data, status)
       SELECT *, 'evaluated' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[])
       ON CONFLICT (transaction_id) DO NOTHING`,
      [
        items.map((c) => c.tx.transaction_id),
        items.map((c) => c.tx.account_id),
        items.map((c) => c.tx.counterparty_id),
        items.map((c) => c.tx.channel),
        items.map((c) => c.tx.occurred_at),
        items.map((c) => c.hash),
        items.map((c) => JSON.stringify(c.tx)),
      ],
    );
    return { dead };
  };
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Runs the suite and returns the figures (also printed). */
export async function measure(
  opts: { size?: number; smoke?: boolean } = {},
): Promise<Record<string, number>> {
  const accountsN = opts.size ?? (opts.smoke ? SMOKE_ACCOUNTS : DEFAULT_ACCOUNTS);
  const config = loadConfig();
  const { txs } = generate({
    accounts: accountsN,
    days: 60,
    seed: 20260302,
    end: Date.parse('2026-03-01T00:00:00Z'),
  });
  // The backlog phase takes the first 70% in event time, the paced phase the rest (no late data).
  const cut = Math.floor(txs.length * 0.7);
  const backlog = txs.slice(0, cut);
  const paced = txs.slice(cut);
  console.log(`${fmt(accountsN)} accounts, ${fmt(txs.length)} transactions over 60 days`);
  return withBroker((url) =>
    withBenchDatabase(async (ownerUrl) => {
      const nc = await connectBroker(url, 'ledgerflow-bench');
      const db = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 4 });
      const owner = createDatabase(ownerUrl, { max: 1 });
      try {
        await owner.$client.query(
          `CREATE TABLE bench_feed_bare (LIKE monitoring_transactions INCLUDING ALL);
           GRANT SELECT, INSERT ON bench_feed_bare TO ledgerflow_writer`,
        );
        // Broker raw: publish, then the same consumer acking without doing anything.
        const raw = await freshFeed(nc);
        const rawPubMs = await publishAll(nc, raw, backlog);
        const rawConsumeMs = await drain(nc, raw, db.$client, async () => ({ dead: [] }), backlog.length);
        const pubRate = rate(backlog.length, rawPubMs);
        const rawConsumeRate = rate(backlog.length, rawConsumeMs);
        console.log(
          `broker raw: publish ${fmt(pubRate)} msg/s, consume (ack only) ${fmt(rawConsumeRate)} msg/s`,
        );

        const bare = await freshFeed(nc);
        await publishAll(nc, bare, backlog);
        const bareMs = await drain(nc, bare, db.$client, bareProcessor(), backlog.length);
        const bareRate = rate(backlog.length, bareMs);
        console.log(`bare pipeline (consumer → idempotent insert, no rules): ${fmt(bareRate)} tx/s`);

        const e2e = await freshFeed(nc);
        const deps = { db, ledger: createLedger(db) };
        await publishAll(nc, e2e, backlog);
        let committedAt = new Map<string, number>();
        const cache = new AccountCache();
        const engine = engineProcessor(deps, { source: 'bench-feed', cache });
        // Profile: statements on the partition's connection per batch (the ledger appends use the pool).
        let statements = 0;
        let batches = 0;
        const timed: BatchProcessor = async (batch, lease) => {
          const client = new Proxy(lease.client, {
            get(target, key, receiver) {
              if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
              return (...args: unknown[]) => {
                statements++;
                return (target.query as (...a: unknown[]) => unknown).apply(target, args);
              };
            },
          });
          batches++;
          const r = await engine(batch, { ...lease, client });
          const now = performance.now();
          for (const m of batch)
            committedAt.set((JSON.parse(m.text) as { transaction_id: string }).transaction_id, now);
          return r;
        };
        const e2eMs = await drain(nc, e2e, db.$client, timed, backlog.length);
        const e2eRate = rate(backlog.length, e2eMs);
        const alerts = async () =>
          Number(
            (await db.$client.query<{ n: string }>(`SELECT count(*) AS n FROM monitoring_alerts`)).rows[0]!.n,
          );
        const backlogAlerts = await alerts();
        console.log(
          `  ${batches} batches, ${(backlog.length / batches).toFixed(0)} tx and ${(statements / batches).toFixed(1)} statements per batch on the partition connection; account cache ${cache.stats.hits} hits, ${cache.stats.misses} misses`,
        );
        console.log(
          `end to end (consumer → rules → alerts + ledger): ${fmt(e2eRate)} tx/s, ${backlogAlerts} alerts; ratio to bare ${(e2eRate / bareRate).toFixed(2)}x (target >= 0.5x)`,
        );

        // Paced at 50% of the sustained end-to-end rate: decision latency per transaction.
        const target = Math.max(1, Math.round(e2eRate / 2));
        committedAt = new Map();
        const publishedAt = new Map<string, number>();
        const js = jetstream(nc);
        let done = 0;
        const consumer = await startFeedConsumer({
          nc,
          names: e2e,
          pool: db.$client,
          process: async (batch, lease) => {
            const r = await timed(batch, lease);
            done += batch.length;
            return r;
          },
        });
        const t0 = performance.now();
        const acks: Array<Promise<unknown>> = [];
        let sent = 0;
        while (sent < paced.length) {
          const due = Math.min(paced.length, Math.floor(((performance.now() - t0) / 1000) * target) + 1);
          for (; sent < due; sent++) {
            const t = paced[sent]!;
            publishedAt.set(t.transaction_id, performance.now());
            acks.push(
              js.publish(accountSubject(e2e, t.account_id), JSON.stringify(t), { msgID: t.transaction_id }),
            );
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        await Promise.all(acks);
        const pacedSeconds = (performance.now() - t0) / 1000;
        while (done < paced.length) await new Promise((r) => setTimeout(r, 5));
        await consumer.stop();
        const latencies = paced
          .map((t) => (committedAt.get(t.transaction_id) ?? NaN) - (publishedAt.get(t.transaction_id) ?? NaN))
          .filter((x) => Number.isFinite(x))
          .sort((a, b) => a - b);
        if (latencies.length !== paced.length)
          throw new Error(`latency missing for ${paced.length - latencies.length} transactions`);
        const p50 = quantile(latencies, 0.5);
        const p99 = quantile(latencies, 0.99);
        console.log(
          `at 50% (${fmt(target)} tx/s for ${pacedSeconds.toFixed(1)} s, ${fmt(paced.length)} transactions, ${(await alerts()) - backlogAlerts} alerts): decision latency p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms (publish → committed)`,
        );
        const jsm = await jetstreamManager(nc);
        const dead = (await jsm.streams.info(e2e.deadStream)).state.messages;
        if (dead) throw new Error(`${dead} bench messages were dead-lettered`);
        return { pubRate, rawConsumeRate, bareRate, e2eRate, ratio: e2eRate / bareRate, p50, p99, target };
      } finally {
        await nc.close().catch(() => undefined);
        await db.$client.end();
        await owner.$client.end();
      }
    }),
  );
}
