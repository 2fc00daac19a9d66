import { runMigrations } from '../db/migrate';
import { loadConfig, providerEndpoints, tracingSettings } from '../runtime/config';
import { openEnvironment } from '../runtime/environment';
import { createJsonLogger, temporalLogger } from '../runtime/logging';
import { startTracing } from '../runtime/tracing';
import { installRuntimeLogger } from './create-worker';
import { startHealthServer } from './health-server';
import { startWorker, type WorkerTestHooks } from './start';

export type { WorkerTestHooks } from './start';

/**
 * Worker process entrypoint (`ledgerflow worker`, docker-compose, crash tests). Uses
 * DATABASE_URL / TEMPORAL_ADDRESS, else a running `ledgerflow dev`, else embedded servers.
 * `hooks` are for test/support/crash-worker.ts only.
 */
export async function runWorkerProcess(hooks: WorkerTestHooks = {}): Promise<void> {
  const config = loadConfig();
  const json =
    config.LEDGERFLOW_LOG_FORMAT === 'json'
      ? createJsonLogger({ level: config.LEDGERFLOW_LOG_LEVEL, service: 'ledgerflow-worker' })
      : undefined;
  installRuntimeLogger(
    config.LEDGERFLOW_TEMPORAL_LOG_LEVEL,
    config.LEDGERFLOW_TEMPORAL_METRICS_ADDRESS,
    json && temporalLogger(json),
  );
  const log = json ? (m: string) => json.info(m) : (m: string) => process.stderr.write(`${m}\n`);
  const traceTo = tracingSettings(config, 'ledgerflow-worker');
  const tracing = traceTo && startTracing(traceTo);
  if (traceTo) log(`tracing: spans to ${new URL(traceTo.endpoint).origin} as ${traceTo.serviceName}`);
  const env = await openEnvironment(config, { log });
  try {
    if (env.embeddedDatabase) await runMigrations(config, env.ownerUrl);
    const running = await startWorker({
      config,
      ownerUrl: env.ownerUrl,
      temporalAddress: env.temporalAddress,
      log,
      providers: providerEndpoints(config),
      hooks,
      tracing,
      natsUrl: env.natsUrl,
    });
    if (!env.natsUrl) log('no NATS broker (NATS_URL or a running `ledgerflow dev`): transaction feed off');
    log(
      `worker running: task queue "${config.TEMPORAL_TASK_QUEUE}" on ${env.temporalAddress} (namespace ${config.TEMPORAL_NAMESPACE}); Ctrl-C to stop`,
    );
    const health =
      config.LEDGERFLOW_WORKER_HTTP_PORT === undefined
        ? undefined
        : await startHealthServer(running.worker, {
            port: config.LEDGERFLOW_WORKER_HTTP_PORT,
            registry: running.metrics.registry,
          });
    if (health) log(`worker health and metrics on http://0.0.0.0:${health.port}/health and /metrics`);
    if (config.LEDGERFLOW_TEMPORAL_METRICS_ADDRESS)
      log(`Temporal SDK metrics on http://${config.LEDGERFLOW_TEMPORAL_METRICS_ADDRESS}/metrics`);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void running.shutdown());
    try {
      await running.done;
    } finally {
      await health?.close();
    }
  } finally {
    await env.close();
    await tracing?.shutdown();
  }
}

if (require.main === module) {
  runWorkerProcess().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
