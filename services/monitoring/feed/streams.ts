import { AckPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '../../../runtime/errors';

/**
 * Partitions of a feed: an account's transactions all go to partition `partitionOf(account)`,
 * and one consumer at a time processes a partition, in stream order. Publishers and consumers
 * must agree on it, so it is fixed (changing it re-partitions accounts: drain the feed first).
 */
export const FEED_PARTITIONS = 8;

/** Names of one transaction feed: its stream, subjects, per-partition durable consumers and dead-letter stream. */
export interface FeedNames {
  stream: string;
  /** Wildcard over the partition subjects `<S>.in.<p>`. */
  subject: string;
  /** Prefix of the per-partition durable consumers `<durable>-p<p>`. */
  durable: string;
  deadStream: string;
  deadSubject: string;
  partitions: number;
}

/** The default feed name (LEDGERFLOW_FEED_STREAM); tests and benchmarks use their own. */
export const DEFAULT_FEED_STREAM = 'LEDGERFLOW_TX';

/** The names derived from a stream name: `<S>.in.*`, durables `ledgerflow-monitoring-p<p>`, `<S>_DLQ` / `<S>.dead`. */
export function feedNames(stream = DEFAULT_FEED_STREAM): FeedNames {
  return {
    stream,
    subject: `${stream}.in.*`,
    durable: 'ledgerflow-monitoring',
    deadStream: `${stream}_DLQ`,
    deadSubject: `${stream}.dead`,
    partitions: FEED_PARTITIONS,
  };
}

/** FNV-1a over the account id: stable across processes and versions. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The partition of an account. */
export function partitionOf(names: FeedNames, accountId: string): number {
  return fnv1a(accountId) % names.partitions;
}

/** The subject of partition `p`. */
export const partitionSubject = (names: FeedNames, p: number): string => `${names.stream}.in.${p}`;

/** The subject a transaction of `accountId` is published to. */
export const accountSubject = (names: FeedNames, accountId: string): string =>
  partitionSubject(names, partitionOf(names, accountId));

/** The durable consumer of partition `p`. */
export const partitionDurable = (names: FeedNames, p: number): string => `${names.durable}-p${p}`;

/** A positive 31-bit key for PostgreSQL advisory locks (its first int4) derived from `s`. */
export const lockKey = (s: string): number => fnv1a(s) & 0x7fffffff;

/** How the per-partition durable consumers redeliver. */
export interface FeedSettings {
  /** A delivered message not acked within this comes back (a consumer died or hung). */
  ackWaitMs: number;
  /** After this many deliveries without success a message goes to the dead-letter stream. */
  maxDeliveries: number;
}

export const DEFAULT_FEED_SETTINGS: FeedSettings = { ackWaitMs: 30_000, maxDeliveries: 5 };

/** The broker could not be reached: one line naming where it was looked for. */
export class BrokerUnavailableError extends ConfigError {
  constructor(url: string, cause: unknown) {
    super(
      `cannot reach the NATS broker at ${url} (${(cause as Error)?.message ?? 'error'}); start "ledgerflow dev" or set NATS_URL`,
    );
    this.name = 'BrokerUnavailableError';
  }
}

/** Connects to the broker; reconnects forever once connected (a broker restart pauses the feed). */
export async function connectBroker(url: string, name: string): Promise<NatsConnection> {
  try {
    // No async stack traces: each publish is a request, and capturing a trace per request costs CPU.
    return await connect({
      servers: url,
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new BrokerUnavailableError(url, err);
  }
}

const DAY_MS = 86_400_000;

/**
 * Creates (or updates) the feed stream, its dead-letter stream and one durable pull consumer
 * per partition. Idempotent: every worker and publisher calls it at start. Delivery limits are
 * enforced by the consumer code (it dead-letters after `maxDeliveries`), so the server's
 * max_deliver stays unlimited and no message is ever dropped silently.
 */
export async function ensureFeed(
  nc: NatsConnection,
  names: FeedNames,
  settings: FeedSettings = DEFAULT_FEED_SETTINGS,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const stream = async (name: string, subject: string, maxAgeDays: number) => {
    const config = {
      name,
      subjects: [subject],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(maxAgeDays * DAY_MS),
      duplicate_window: nanos(120_000),
    };
    const info = await jsm.streams.info(name).catch(() => undefined);
    if (info) {
      // A stream of the unpartitioned feed (subject `<S>.in`) takes the partition subjects.
      if (info.config.subjects?.join() !== subject)
        await jsm.streams.update(name, { ...info.config, subjects: [subject] });
    } else {
      await jsm.streams.add(config).catch(async (err: unknown) => {
        // Another worker created it between the two calls.
        if (!(await jsm.streams.info(name).catch(() => undefined))) throw err;
      });
    }
  };
  await stream(names.stream, names.subject, 7);
  await stream(names.deadStream, names.deadSubject, 90);
  for (let p = 0; p < names.partitions; p++) {
    const durable = partitionDurable(names, p);
    const consumer = {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(settings.ackWaitMs),
      max_ack_pending: 10_000,
      filter_subject: partitionSubject(names, p),
    };
    const existing = await jsm.consumers.info(names.stream, durable).catch(() => undefined);
    if (!existing) {
      await jsm.consumers.add(names.stream, consumer).catch(async (err: unknown) => {
        if (!(await jsm.consumers.info(names.stream, durable).catch(() => undefined))) throw err;
      });
    } else if (existing.config.ack_wait !== consumer.ack_wait) {
      await jsm.consumers.update(names.stream, durable, { ack_wait: consumer.ack_wait });
    }
  }
}
