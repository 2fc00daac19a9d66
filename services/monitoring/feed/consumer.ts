import { jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import { partitionDurable, type FeedNames, type FeedSettings } from './streams';

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
 * The partition a batch comes from, and the PostgreSQL connection holding its lock: a processor
 * commits on it, so a consumer that lost its partition (connection gone) cannot commit either.
 */
export interface PartitionLease {
  partition: number;
  client: pg.ClientBase;
}

/**
 * Processes a batch durably: when it resolves, everything it accepted is committed (the
 * consumer acks right after). When it throws, nothing of the batch may count as done: the
 * consumer retries the messages one by one.
 */
export type BatchProcessor = (batch: FeedMessage[], lease: PartitionLease) => Promise<BatchOutcome>;

/** Counters of one consumer since it started. */
export interface FeedStats {
  acked: number;
  deadLettered: number;
  retried: number;
  batches: number;
}

/** A running consumer: of one partition ({@link consumePartition}) or of a feed member. */
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
 * Consumes one partition of the feed, in stream order: its caller holds the partition's lock
 * (`lease`), so no other consumer takes these messages meanwhile. Messages are taken in batches
 * of what is available (up to `batchSize`), handed to `process`, and acknowledged only after it
 * resolved, i.e. after the PostgreSQL commit; a crash before that makes the broker redeliver them
 * after the ack wait, and the processor's idempotence (by transaction id) absorbs the repeat. A
 * batch that fails is retried message by message, and a failing message is retried in place
 * (later messages of the partition wait, so an account's order holds) until it has failed
 * `maxDeliveries` times: then it goes to the dead-letter stream with its error.
 *
 * Taking over a partition whose messages are still out with a previous owner (it died or lost
 * its lock before acking), it waits one ack wait first: the broker then redelivers those before
 * anything newer, so their order holds across owners too.
 */
export function consumePartition(opts: {
  nc: NatsConnection;
  names: FeedNames;
  lease: PartitionLease;
  process: BatchProcessor;
  settings: FeedSettings;
  stats: FeedStats;
  batchSize?: number;
  log?: (msg: string) => void;
  /** Test hook (crash tests): wait this long between the commit and the acks. */
  holdBeforeAckMs?: number;
}): FeedConsumer {
  const { names, settings, stats, lease } = opts;
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const log = opts.log ?? (() => undefined);
  const js = jetstream(opts.nc);
  const durable = partitionDurable(names, lease.partition);
  let stopping = false;
  let messages: ConsumerMessages | undefined;
  const decoder = new TextDecoder();
  const view = (m: JsMsg): FeedMessage => ({
    seq: m.seq,
    deliveries: m.info.deliveryCount,
    text: decoder.decode(m.data),
  });

  // The previous owner may have kept its messages' deadlines ahead (heartbeats) until it lost
  // the lock, i.e. until before we got it: a full ack wait from now covers every such deadline.
  const waitForPreviousOwner = async () => {
    const info = await (await jetstreamManager(opts.nc)).consumers.info(names.stream, durable);
    if (info.num_ack_pending === 0) return;
    const until = Date.now() + settings.ackWaitMs + 1_000;
    log(
      `feed: partition ${lease.partition}: ${info.num_ack_pending} messages out with a previous owner; waiting for their redelivery`,
    );
    while (!stopping && Date.now() < until)
      await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
  };

  const deadLetter = async (m: JsMsg, reason: string, attempts = m.info.deliveryCount) => {
    const h = headers();
    h.set(DEAD_LETTER_HEADERS.error, reason.slice(0, 500));
    h.set(DEAD_LETTER_HEADERS.seq, String(m.seq));
    h.set(DEAD_LETTER_HEADERS.deliveries, String(attempts));
    // Stored before the original is terminated: a crash in between dead-letters it twice at worst.
    await js.publish(names.deadSubject, m.data, { headers: h, msgID: `dead-${names.stream}-${m.seq}` });
    m.term(reason.slice(0, 200));
    stats.deadLettered++;
    log(`feed: message ${m.seq} dead-lettered after ${attempts} attempts: ${reason}`);
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
    stats.batches++;
    try {
      await settle(live, await processUntilNotTransient(live));
      return;
    } catch (err) {
      if (live.length > 1)
        log(`feed: batch of ${live.length} failed (${(err as Error).message}); retrying one by one`);
      else return failOne(live[0]!, err);
    }
    for (const m of live) {
      try {
        await settle([m], await processUntilNotTransient([m]));
      } catch (err) {
        await failOne(m, err);
      }
    }
  };

  // An outage (database, Temporal) is nobody's poison: wait it out holding the batch, keeping
  // its messages ours (working() extends the ack deadline), instead of spending deliveries.
  const processUntilNotTransient = async (batch: JsMsg[]) => {
    for (let attempt = 1; ; attempt++) {
      // A slow batch (a loaded database) is still ours: keep its ack deadline ahead.
      // Not once stopping (the partition's lock may be gone): the next owner waits for these.
      const heartbeat = setInterval(() => {
        if (!stopping) for (const m of batch) m.working();
      }, settings.ackWaitMs / 3);
      try {
        return await opts.process(batch.map(view), lease).finally(() => clearInterval(heartbeat));
      } catch (err) {
        clearInterval(heartbeat);
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

  // Retried in place, not nak'ed: the partition's later messages must not overtake it.
  const failOne = async (m: JsMsg, err: unknown) => {
    for (let attempts = m.info.deliveryCount; ; attempts++) {
      const reason = `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
      // Stopping (partition lost or handed over): leave it unacked for the next owner.
      if (stopping) return;
      if (attempts >= settings.maxDeliveries) return deadLetter(m, reason, attempts);
      stats.retried++;
      log(`feed: message ${m.seq} failed (attempt ${attempts}), retrying: ${reason}`);
      const until = Date.now() + RETRY_DELAY_MS * attempts;
      while (Date.now() < until && !stopping) {
        m.working();
        await new Promise((r) => setTimeout(r, Math.min(settings.ackWaitMs / 3, until - Date.now())));
      }
      if (stopping) return;
      try {
        return await settle([m], await processUntilNotTransient([m]));
      } catch (e) {
        err = e;
      }
    }
  };

  // A batch is the first message plus whatever else has already arrived (no waiting for more).
  const arrived = () => new Promise<null>((r) => setImmediate(() => r(null)));
  const done = (async () => {
    await waitForPreviousOwner();
    if (stopping) return;
    const consumer = await js.consumers.get(names.stream, durable);
    messages = await consumer.consume({ max_messages: batchSize });
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
      messages?.stop();
      await done.catch(() => undefined);
      // The acks reach the broker before the partition's lock is released.
      await opts.nc.flush().catch(() => undefined);
    },
  };
}
