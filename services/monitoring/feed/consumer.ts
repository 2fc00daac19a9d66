import { jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_FEED_SETTINGS, type FeedNames, type FeedSettings } from './streams';

/** One delivered transaction message, as a batch processor sees it. */
export interface FeedMessage {
  /** Stream sequence: the message's identity in the feed. */
  seq: number;
  /** 1 on first delivery. */
  deliveries: number;
  text: string;
}

/** Messages of a batch that must not be retried: they go to the dead-letter stream with the reason. */
export interface BatchOutcome {
  dead: Array<{ seq: number; reason: string }>;
}

/**
 * Processes a batch durably: when it resolves, everything it accepted is committed (the
 * consumer acks right after). When it throws, nothing of the batch may count as done: the
 * consumer retries the messages one by one.
 */
export type BatchProcessor = (batch: FeedMessage[]) => Promise<BatchOutcome>;

/** Counters of one consumer since it started. */
export interface FeedStats {
  acked: number;
  deadLettered: number;
  retried: number;
  batches: number;
}

export interface FeedConsumer {
  stats: FeedStats;
  /** Stops fetching, finishes the batch in hand and resolves. */
  stop(): Promise<void>;
  /** Resolves when the consumer has stopped. */
  done: Promise<void>;
}

/**
 * A failure of the infrastructure, not of the message (database or Temporal unreachable): the
 * consumer retries the batch until it passes instead of counting deliveries towards the
 * dead-letter limit.
 */
export class TransientFeedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientFeedError';
  }
}

/** Header names on dead letters (the body is the original message). */
export const DEAD_LETTER_HEADERS = {
  error: 'Ledgerflow-Error',
  seq: 'Ledgerflow-Stream-Seq',
  deliveries: 'Ledgerflow-Deliveries',
} as const;

const RETRY_DELAY_MS = 1_000;

/**
 * Messages per batch at most. Each batch reads its accounts' stored history once (the engine's
 * state lives in PostgreSQL), so big batches amortise that read when a backlog drains; under
 * light load a batch is just what has arrived.
 */
export const DEFAULT_BATCH_SIZE = 1_000;

/**
 * Runs one consumer of the feed's shared durable consumer: any number of these (in any number
 * of workers) split the messages between them. Messages are taken in batches of what is
 * available (up to `batchSize`), handed to `process`, and acknowledged only after it resolved,
 * i.e. after the PostgreSQL commit; a crash before that makes the broker redeliver them after
 * the ack wait, and the processor's idempotence (by transaction id) absorbs the repeat. A batch
 * that fails is retried message by message, so one poison message cannot hold up the others;
 * a message failing `maxDeliveries` times goes to the dead-letter stream with its error.
 */
export async function startFeedConsumer(opts: {
  nc: NatsConnection;
  names: FeedNames;
  process: BatchProcessor;
  settings?: FeedSettings;
  batchSize?: number;
  log?: (msg: string) => void;
  /** Test hook (crash tests): wait this long between the commit and the acks. */
  holdBeforeAckMs?: number;
}): Promise<FeedConsumer> {
  const { names } = opts;
  const settings = opts.settings ?? DEFAULT_FEED_SETTINGS;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const log = opts.log ?? (() => undefined);
  const js = jetstream(opts.nc);
  const consumer = await js.consumers.get(names.stream, names.durable);
  const stats: FeedStats = { acked: 0, deadLettered: 0, retried: 0, batches: 0 };
  const messages: ConsumerMessages = await consumer.consume({ max_messages: batchSize });
  const decoder = new TextDecoder();
  let stopping = false;

  const deadLetter = async (m: JsMsg, reason: string) => {
    const h = headers();
    h.set(DEAD_LETTER_HEADERS.error, reason.slice(0, 500));
    h.set(DEAD_LETTER_HEADERS.seq, String(m.seq));
    h.set(DEAD_LETTER_HEADERS.deliveries, String(m.info.deliveryCount));
    // Stored before the original is terminated: a crash in between dead-letters it twice at worst.
    await js.publish(names.deadSubject, m.data, { headers: h, msgID: `dead-${names.stream}-${m.seq}` });
    m.term(reason.slice(0, 200));
    stats.deadLettered++;
    log(`feed: message ${m.seq} dead-lettered after ${m.info.deliveryCount} deliveries: ${reason}`);
  };

  const settle = async (batch: JsMsg[], outcome: BatchOutcome) => {
    if (opts.holdBeforeAckMs) await new Promise((r) => setTimeout(r, opts.holdBeforeAckMs));
    const dead = new Map(outcome.dead.map((d) => [d.seq, d.reason]));
    for (const m of batch) {
      const reason = dead.get(m.seq);
      if (reason !== undefined) await deadLetter(m, reason);
      else {
        m.ack();
        stats.acked++;
      }
    }
  };

  const run = async (batch: JsMsg[]) => {
    // Delivered too often without an ack (e.g. it crashed every consumer that took it).
    const worn = batch.filter((m) => m.info.deliveryCount > settings.maxDeliveries);
    for (const m of worn)
      await deadLetter(
        m,
        `not acknowledged after ${settings.maxDeliveries} deliveries (consumer crashed or timed out)`,
      );
    const live = batch.filter((m) => m.info.deliveryCount <= settings.maxDeliveries);
    if (live.length === 0) return;
    const view = (m: JsMsg): FeedMessage => ({
      seq: m.seq,
      deliveries: m.info.deliveryCount,
      text: decoder.decode(m.data),
    });
    stats.batches++;
    try {
      await settle(live, await processUntilNotTransient(live, view));
      return;
    } catch (err) {
      if (live.length > 1)
        log(`feed: batch of ${live.length} failed (${(err as Error).message}); retrying one by one`);
      else return failOne(live[0]!, err);
    }
    for (const m of live) {
      try {
        await settle([m], await processUntilNotTransient([m], view));
      } catch (err) {
        await failOne(m, err);
      }
    }
  };

  // An outage (database, Temporal) is nobody's poison: wait it out holding the batch, keeping
  // its messages ours (working() extends the ack deadline), instead of spending deliveries.
  const processUntilNotTransient = async (batch: JsMsg[], view: (m: JsMsg) => FeedMessage) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await opts.process(batch.map(view));
      } catch (err) {
        if (!(err instanceof TransientFeedError) || stopping) throw err;
        stats.retried++;
        if (attempt === 1 || attempt % 10 === 0)
          log(`feed: ${err.message}; holding ${batch.length} messages and retrying`);
        // Keep the ack deadline ahead of the wait, so the broker does not hand the batch to another consumer.
        const until = Date.now() + Math.min(RETRY_DELAY_MS * attempt, 10_000);
        while (Date.now() < until) {
          for (const m of batch) m.working();
          await new Promise((r) => setTimeout(r, Math.min(settings.ackWaitMs / 3, until - Date.now())));
        }
      }
    }
  };

  const failOne = async (m: JsMsg, err: unknown) => {
    const reason = `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
    if (m.info.deliveryCount >= settings.maxDeliveries) return deadLetter(m, reason);
    stats.retried++;
    m.nak(RETRY_DELAY_MS * m.info.deliveryCount);
    log(`feed: message ${m.seq} failed (delivery ${m.info.deliveryCount}), retrying: ${reason}`);
  };

  // A batch is the first message plus whatever else has already arrived (no waiting for more).
  const arrived = () => new Promise<null>((r) => setImmediate(() => r(null)));
  const done = (async () => {
    const it = messages[Symbol.asyncIterator]();
    let next = it.next();
    let ended = false;
    while (!ended) {
      const first = await next;
      if (first.done) break;
      next = it.next();
      const batch: JsMsg[] = [first.value];
      while (batch.length < batchSize) {
        const more = await Promise.race([next, arrived()]);
        if (more === null) break;
        if (more.done) {
          ended = true;
          break;
        }
        batch.push(more.value);
        next = it.next();
      }
      try {
        await run(batch);
      } catch (err) {
        // Broker trouble while settling: the unacked messages come back after the ack wait.
        log(`feed: could not settle a batch (${(err as Error).message}); the broker will redeliver it`);
      }
    }
  })();

  return {
    stats,
    done,
    async stop() {
      stopping = true;
      messages.stop();
      await done;
    },
  };
}
