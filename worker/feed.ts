import type { NatsConnection } from '@nats-io/transport-node';
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_INVESTIGATION_SLA, type InvestigationSla } from '../contracts/alert-investigation';
import { openInvestigations } from '../services/monitoring/investigations';
import type { MonitoringDeps } from '../services/monitoring';
import {
  connectBroker,
  engineProcessor,
  ensureFeed,
  feedNames,
  startFeedConsumer,
  type FeedConsumer,
} from '../services/monitoring/feed';
import type { Config } from '../runtime/config';

/** The worker's transaction-feed consumer and its broker connection. */
export interface WorkerFeed {
  consumer: FeedConsumer;
  nc: NatsConnection;
  stop(): Promise<void>;
}

/**
 * Starts the worker-side transaction feed: connects to the broker, makes sure the stream, the
 * dead-letter stream and the per-partition durable consumers exist, and consumes into part 1's
 * engine. Every worker runs one member; the members share the partitions (see
 * startFeedConsumer), so any worker takes any account, one worker at a time per account.
 */
export async function startWorkerFeed(opts: {
  config: Config;
  natsUrl: string;
  temporalAddress: string;
  deps: MonitoringDeps;
  log: (msg: string) => void;
  holdBeforeAckMs?: number;
  /** SLA of the investigations the feed opens (default: the contract's). */
  investigationSla?: InvestigationSla;
}): Promise<WorkerFeed> {
  const names = feedNames(opts.config.LEDGERFLOW_FEED_STREAM);
  const settings = {
    ackWaitMs: opts.config.LEDGERFLOW_FEED_ACK_WAIT_MS,
    maxDeliveries: opts.config.LEDGERFLOW_FEED_MAX_DELIVERIES,
  };
  const nc = await connectBroker(opts.natsUrl, 'ledgerflow-worker');
  await ensureFeed(nc, names, settings);
  // Each live alert gets its investigation workflow, opened after the commit and before the ack.
  const connection = await Connection.connect({ address: opts.temporalAddress });
  const investigations = {
    client: new Client({ connection, namespace: opts.config.TEMPORAL_NAMESPACE }),
    taskQueue: opts.config.TEMPORAL_TASK_QUEUE,
    db: opts.deps.db,
    sla: opts.investigationSla ?? {
      assignWithinMs:
        opts.config.LEDGERFLOW_INVESTIGATION_ASSIGN_SLA_MS ?? DEFAULT_INVESTIGATION_SLA.assignWithinMs,
      decideWithinMs:
        opts.config.LEDGERFLOW_INVESTIGATION_DECIDE_SLA_MS ?? DEFAULT_INVESTIGATION_SLA.decideWithinMs,
    },
  };
  const onAlerts = async (ids: string[]) => {
    await openInvestigations(investigations, ids, { type: 'service', id: 'monitoring-feed' });
  };
  const consumer = await startFeedConsumer({
    nc,
    names,
    pool: opts.deps.db.$client,
    settings,
    process: engineProcessor(opts.deps, { source: `nats:${names.stream}`, onAlerts }),
    log: opts.log,
    holdBeforeAckMs: opts.holdBeforeAckMs,
  });
  opts.log(
    `transaction feed: consuming ${names.subject} on ${opts.natsUrl} (${names.partitions} partitions, durables ${names.durable}-p*)`,
  );
  return {
    consumer,
    nc,
    async stop() {
      await consumer.stop();
      await nc.drain().catch(() => undefined);
      await connection.close().catch(() => undefined);
    },
  };
}
