import { runMigrations } from '../db/migrate';
import { loadConfig, providerEndpoints } from '../runtime/config';
import { openEnvironment } from '../runtime/environment';
import { installRuntimeLogger } from './create-worker';
import { startWorker, type WorkerTestHooks } from './start';

export type { WorkerTestHooks } from './start';

/**
 * Worker process entrypoint (`ledgerflow worker`, docker-compose, crash tests). Uses
 * DATABASE_URL / TEMPORAL_ADDRESS, else a running `ledgerflow dev`, else embedded servers.
 * `hooks` are for test/support/crash-worker.ts only.
 */
export async function runWorkerProcess(hooks: WorkerTestHooks = {}): Promise<void> {
  const config = loadConfig();
  installRuntimeLogger(config.LEDGERFLOW_TEMPORAL_LOG_LEVEL);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const env = await openEnvironment(config, { log });
  try {
    if (!config.DATABASE_URL) await runMigrations(config, env.ownerUrl);
    const running = await startWorker({
      config,
      ownerUrl: env.ownerUrl,
      temporalAddress: env.temporalAddress,
      log,
      providers: providerEndpoints(config),
      hooks,
    });
    log(
      `worker running: task queue "${config.TEMPORAL_TASK_QUEUE}" on ${env.temporalAddress} (namespace ${config.TEMPORAL_NAMESPACE}); Ctrl-C to stop`,
    );
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void running.shutdown());
    await running.done;
  } finally {
    await env.close();
  }
}

if (require.main === module) {
  runWorkerProcess().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
