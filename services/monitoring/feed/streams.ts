import { AckPolicy, DiscardPolicy, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { ConfigError } from '../../../runtime/errors';

/** Names of one transaction feed: its stream, subjects, durable consumer and dead-letter stream. */
export interface FeedNames {
  stream: string;
  subject: string;
  durable: string;
  deadStream: string;
  deadSubject: string;
}

/** The default feed name (LEDGERFLOW_FEED_STREAM); tests and benchmarks use their own. */
export const DEFAULT_FEED_STREAM = 'LEDGERFLOW_TX';

/** The names derived from a stream name: `<S>.in`, durable `ledgerflow-monitoring`, `<S>_DLQ` / `<S>.dead`. */
export function feedNames(stream = DEFAULT_FEED_STREAM): FeedNames {
  return {
    stream,
    subject: `${stream}.in`,
    durable: 'ledgerflow-monitoring',
    deadStream: `${stream}_DLQ`,
    deadSubject: `${stream}.dead`,
  };
}

/** How the shared durable consumer redelivers. */
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
    return await connect({ servers: url, name, maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  } catch (err) {
    throw new BrokerUnavailableError(url, err);
  }
}

const DAY_MS = 86_400_000;

/**
 * Creates (or updates) the feed stream, its dead-letter stream and the shared durable pull
 * consumer. Idempotent: every worker and publisher calls it at start. Delivery limits are
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
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add(config).catch(async (err: unknown) => {
        // Another worker created it between the two calls.
        if (!(await jsm.streams.info(name).catch(() => undefined))) throw err;
      });
    }
  };
  await stream(names.stream, names.subject, 7);
  await stream(names.deadStream, names.deadSubject, 90);
  const consumer = {
    durable_name: names.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(settings.ackWaitMs),
    max_ack_pending: 10_000,
    filter_subject: names.subject,
  };
  const existing = await jsm.consumers.info(names.stream, names.durable).catch(() => undefined);
  if (!existing) {
    await jsm.consumers.add(names.stream, consumer).catch(async (err: unknown) => {
      if (!(await jsm.consumers.info(names.stream, names.durable).catch(() => undefined))) throw err;
    });
  } else if (existing.config.ack_wait !== consumer.ack_wait) {
    await jsm.consumers.update(names.stream, names.durable, { ack_wait: consumer.ack_wait });
  }
}
