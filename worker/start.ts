import type { Worker } from '@temporalio/worker';
import { closeDatabase, createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { loadSigner, readPinnedKeys, trustPaths } from '../ledger/keys';
import { createLedger } from '../ledger/ledger';
import type { ActivityDeps } from '../activities';
import { alarmWebhook, type Config } from '../runtime/config';
import { configuredWitness } from '../services/witness/store';
import { createMetrics, type LedgerflowMetrics } from '../runtime/metrics';
import type { Tracing } from '../runtime/tracing';
import { startWorkerFeed } from './feed';
import { MAX_CONCURRENT_ACTIVITIES, connectWorkerWithBackoff, createLedgerflowWorker } from './create-worker';

/** Test-only hooks (crash tests pass them through test/support/crash-worker.ts). */
export type WorkerTestHooks = Pick<ActivityDeps, 'holdAfterWriteMs' | 'purgeBatchDelayMs'> & {
  /** The transaction feed waits this long between its commit and its acks. */
  feedHoldBeforeAckMs?: number;
};

export interface RunningWorker {
  worker: Worker;
  /** The registry the ledger and activities count into (serve it with startHealthServer). */
  metrics: LedgerflowMetrics;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Starts the ledgerflow worker against `temporalAddress`, with activities connected to
 * PostgreSQL as the ledgerflow_writer role (never the owner).
 */
export async function startWorker(opts: {
  config: Config;
  ownerUrl: string;
  temporalAddress: string;
  log?: (msg: string) => void;
  /** Provider endpoints of the loan activities (a function is asked at every call). */
  providers?: ActivityDeps['providers'];
  /** Test hook for crash tests (see createSmokeActivities); production never sets it. */
  /** Test hooks; production entrypoints pass none. */
  hooks?: WorkerTestHooks;
  /** Where the ledger and activities count; default a fresh registry. */
  metrics?: LedgerflowMetrics;
  /** Traces workflows, activities and their SQL (see runtime/tracing.ts); default none. */
  tracing?: Tracing;
  /** The transaction feed's broker; unset: this worker runs no feed consumer. */
  natsUrl?: string;
}): Promise<RunningWorker> {
  const tracer = opts.tracing?.tracer;
  const log = opts.log ?? (() => undefined);
  const metrics = opts.metrics ?? createMetrics();
  const db = createDatabase(appRoleUrl(opts.config, opts.ownerUrl, 'ledgerflow_writer'), {
    max: MAX_CONCURRENT_ACTIVITIES + 5,
    applicationName: 'ledgerflow-worker',
    tracer,
  });
  const purgerDb = createDatabase(appRoleUrl(opts.config, opts.ownerUrl, 'ledgerflow_purger'), {
    max: 4,
    applicationName: 'ledgerflow-worker-purger',
    tracer,
  });
  // One signer for the ledger's checkpoints and the purge certificates.
  const signer = loadSigner(opts.config, log);
  const ledger = createLedger(db, {
    signer,
    checkpointEvery: opts.config.LEDGERFLOW_CHECKPOINT_EVERY,
    metrics,
  });
  const connection = await connectWorkerWithBackoff(opts.temporalAddress, log);
  const worker = await createLedgerflowWorker({
    connection,
    namespace: opts.config.TEMPORAL_NAMESPACE,
    taskQueue: opts.config.TEMPORAL_TASK_QUEUE,
    tracing: opts.tracing,
    deps: {
      db,
      ledger,
      purgerDb,
      signer,
      pinnedKeys: () => readPinnedKeys(opts.config),
      screeningMatcher: opts.config.screening,
      providers: opts.providers,
      witness: configuredWitness(opts.config),
      posture: {
        signingKeyFile: trustPaths(opts.config).signingKeyFile,
        webhook: alarmWebhook(opts.config),
        settings: {
          keyRotationDays: opts.config.LEDGERFLOW_KEY_ROTATION_DAYS,
          witnessMaxAgeHours: opts.config.LEDGERFLOW_WITNESS_MAX_AGE_HOURS,
        },
      },
      holdAfterWriteMs: opts.hooks?.holdAfterWriteMs,
      purgeBatchDelayMs: opts.hooks?.purgeBatchDelayMs,
    },
  });
  const feed = opts.natsUrl
    ? await startWorkerFeed({
        config: opts.config,
        natsUrl: opts.natsUrl,
        temporalAddress: opts.temporalAddress,
        deps: { db, ledger },
        log,
        holdBeforeAckMs: opts.hooks?.feedHoldBeforeAckMs,
      })
    : undefined;
  const done = worker.run().finally(async () => {
    await feed?.stop().catch(() => undefined);
    await connection.close().catch(() => undefined);
    await closeDatabase(db).catch(() => undefined);
    await closeDatabase(purgerDb).catch(() => undefined);
  });
  return {
    worker,
    metrics,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
