import type { NatsConnection } from '@nats-io/transport-node';
import { randomInt } from 'node:crypto';
import pg from 'pg';
import {
  consumePartition,
  type BatchProcessor,
  type FeedConsumer,
  type FeedStats,
  type PartitionLease,
} from './consumer';
import { DEFAULT_FEED_SETTINGS, lockKey, type FeedNames, type FeedSettings } from './streams';

/** How often a member re-counts the members and takes or hands over partitions. */
export const DEFAULT_REBALANCE_MS = 2_000;

/** A member of the feed: the partitions it consumes now, besides the {@link FeedConsumer} controls. */
export interface FeedMember extends FeedConsumer {
  /** The partitions this member holds, ascending. */
  owned(): number[];
}

interface Held {
  client: pg.Client;
  consumer: FeedConsumer;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a member of the feed: any number of them (in any number of workers) share its
 * partitions. A member holds a partition through a PostgreSQL session advisory lock on a
 * connection of its own, consumes it in stream order ({@link consumePartition}) and commits on
 * that same connection, so the lock and the right to commit end together (crash, network cut).
 * Every `rebalanceMs` it counts the members (each holds a membership lock) and takes free
 * partitions up to its fair share, or hands over those beyond it (after finishing the batch in
 * hand). Any member can thus process any account, one account's transactions are never
 * evaluated by two members at once, and a dead member's partitions move to the others.
 */
export async function startFeedConsumer(opts: {
  nc: NatsConnection;
  names: FeedNames;
  /** The pool whose connection settings the member's lock connections use. */
  pool: pg.Pool;
  process: BatchProcessor;
  settings?: FeedSettings;
  batchSize?: number;
  log?: (msg: string) => void;
  holdBeforeAckMs?: number;
  rebalanceMs?: number;
}): Promise<FeedMember> {
  const { names } = opts;
  const settings = opts.settings ?? DEFAULT_FEED_SETTINGS;
  const log = opts.log ?? (() => undefined);
  const rebalanceMs = opts.rebalanceMs ?? DEFAULT_REBALANCE_MS;
  const memberKey = lockKey(`feed-member:${names.stream}`);
  const partitionKey = lockKey(`feed-partition:${names.stream}`);
  const stats: FeedStats = { acked: 0, deadLettered: 0, retried: 0, batches: 0 };
  const held = new Map<number, Held>();
  let stopping = false;
  let wake: () => void = () => undefined;
  // Each member tries the free partitions from its own starting point, so joiners rarely collide.
  const offset = randomInt(names.partitions);

  const connect = async (): Promise<pg.Client> => {
    const c = new pg.Client({ ...opts.pool.options, application_name: `ledgerflow-feed ${names.stream}` });
    await c.connect();
    return c;
  };
  let member: pg.Client | undefined;
  const join = async () => {
    const c = await connect();
    c.on('error', () => {
      if (member === c) member = undefined;
    });
    await c.query('SELECT pg_advisory_lock($1, pg_backend_pid())', [memberKey]);
    member = c;
    return c;
  };

  const release = async (p: number) => {
    const h = held.get(p);
    if (!h) return;
    held.delete(p);
    await h.consumer.stop();
    await h.client.end().catch(() => undefined);
  };

  const acquire = async (p: number) => {
    const client = await connect();
    const lost = () => {
      // The lock went with the connection: stop consuming (the commit cannot happen either).
      if (held.get(p)?.client === client) {
        log(`feed: lost the connection holding partition ${p}; handing it over`);
        void release(p);
      }
    };
    client.on('error', lost);
    client.on('end', lost);
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
      partitionKey,
      p,
    ]);
    if (!r.rows[0]!.ok) {
      await client.end().catch(() => undefined);
      return;
    }
    const lease: PartitionLease = { partition: p, client };
    const consumer = consumePartition({
      nc: opts.nc,
      names,
      lease,
      process: opts.process,
      settings,
      stats,
      batchSize: opts.batchSize,
      log,
      holdBeforeAckMs: opts.holdBeforeAckMs,
    });
    held.set(p, { client, consumer });
    // Ended on its own (broker trouble): hand it over; the next rebalance may take it again.
    const ended = (why: string) => {
      if (held.get(p)?.consumer !== consumer) return;
      log(`feed: partition ${p} stopped (${why}); handing it over`);
      void release(p);
    };
    consumer.done.then(
      () => ended('its messages ended'),
      (err: unknown) => ended((err as Error)?.message ?? 'error'),
    );
  };

  const rebalance = async () => {
    const c = member ?? (await join());
    const locks = await c.query<{ key: string; id: string }>(
      `SELECT classid::text AS key, objid::text AS id FROM pg_locks
        WHERE locktype = 'advisory' AND objsubid = 2 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid IN ($1::bigint::oid, $2::bigint::oid)`,
      [memberKey, partitionKey],
    );
    const members = locks.rows.filter((r) => Number(r.key) === memberKey).length;
    const taken = new Set(locks.rows.filter((r) => Number(r.key) === partitionKey).map((r) => Number(r.id)));
    const share = Math.ceil(names.partitions / Math.max(1, members));
    const mine = [...held.keys()].sort((a, b) => a - b);
    // In parallel: a partition finishing a long batch does not hold up the others' hand-over.
    await Promise.all(mine.slice(share).map(release));
    const free = [...Array(names.partitions).keys()].filter((p) => !taken.has(p));
    for (let i = 0; i < free.length && held.size < share && !stopping; i++)
      await acquire(free[(i + offset) % free.length]!);
  };

  const done = (async () => {
    while (!stopping) {
      await rebalance().catch((err: unknown) =>
        log(`feed: cannot rebalance partitions (${(err as Error)?.message ?? 'error'}); retrying`),
      );
      if (stopping) break;
      await Promise.race([sleep(rebalanceMs), new Promise<void>((r) => (wake = r))]);
    }
    await Promise.all([...held.keys()].map(release));
    await member?.end().catch(() => undefined);
  })();

  return {
    stats,
    done,
    owned: () => [...held.keys()].sort((a, b) => a - b),
    async stop() {
      stopping = true;
      wake();
      await done;
    },
  };
}
