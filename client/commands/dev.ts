/* eslint-disable @typescript-eslint/no-require-imports -- modules load in the action (see lazily()) */
import type { Command } from 'commander';
import { runMigrations } from '../../db/migrate';
import { latestMigrationTag } from '../../db/migrations-journal';
import { loadConfig, providerEndpoints, tracingSettings } from '../../runtime/config';
import type * as TracingModule from '../../runtime/tracing';
import { openEnvironment, writeDevState } from '../../runtime/environment';
import type * as Simulators from '../../simulators';
import type { RunningProviders } from '../../simulators';
import type * as WorkerStart from '../../worker/start';
import { createLedger } from '../../ledger/ledger';
import { closeDatabase, createDatabase } from '../../db/client';
import { appRoleUrl } from '../../db/roles';
import { bootstrapAdmin } from '../bootstrap';
import { lazily } from '../lazy';
import { info } from '../output';
import { action } from '../run-command';

export function register(program: Command): void {
  program
    .command('dev')
    .description(
      'run embedded PostgreSQL + Temporal dev server (with Web UI) + a worker; other commands reuse them',
    )
    .action(
      action(async () => {
        // The worker (Temporal's SDK), tracing and the simulators load here, not for --help.
        const { startWorker } = await lazily<typeof WorkerStart>(
          () => require('../../worker/start'),
          () => import('../../worker/start.js'),
        );
        const { startProviders } = await lazily<typeof Simulators>(
          () => require('../../simulators'),
          () => import('../../simulators/index.js'),
        );
        const { startTracing } = await lazily<typeof TracingModule>(
          () => require('../../runtime/tracing'),
          () => import('../../runtime/tracing.js'),
        );
        const config = loadConfig();
        const env = await openEnvironment(config, { log: info, temporalUi: true, nats: true });
        const endpoints = {
          ownerUrl: env.ownerUrl,
          temporalAddress: env.temporalAddress,
          temporalUiUrl: env.temporalUiUrl,
          natsUrl: env.natsUrl,
        };
        const removeState = writeDevState(config, endpoints);
        let providers: RunningProviders | undefined;
        // With OTEL_EXPORTER_OTLP_ENDPOINT (e.g. a local Jaeger), the dev worker's spans go there.
        const traceTo = tracingSettings(config, 'ledgerflow-worker');
        const tracing = traceTo && startTracing(traceTo);
        try {
          await runMigrations(config, env.ownerUrl);
          // Commands of this build see the schema is current and skip their own migration run.
          writeDevState(config, { ...endpoints, migrated: latestMigrationTag() });
          const writer = createDatabase(appRoleUrl(config, env.ownerUrl, 'ledgerflow_writer'));
          const admin = await bootstrapAdmin(createLedger(writer), info).finally(() => closeDatabase(writer));
          // Without real provider endpoints, the simulated registry and bureau stand in.
          let urls = providerEndpoints(config);
          if (!urls) {
            providers = await startProviders({ latencyMs: 10 });
            urls = {
              registryUrl: config.LEDGERFLOW_REGISTRY_URL ?? providers.urls.registryUrl,
              bureauUrl: config.LEDGERFLOW_BUREAU_URL ?? providers.urls.bureauUrl,
            };
          }
          const worker = await startWorker({
            config,
            ownerUrl: env.ownerUrl,
            temporalAddress: env.temporalAddress,
            log: info,
            providers: urls,
            tracing,
            natsUrl: env.natsUrl,
          });
          const pg = new URL(env.ownerUrl);
          info(
            [
              'ledgerflow dev is running',
              `  PostgreSQL   ${pg.hostname}:${pg.port}${pg.pathname}  (${env.origin.postgres})`,
              `  Temporal     ${env.temporalAddress}  namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE}`,
              `  Temporal UI  ${env.temporalUiUrl ?? '(external server: see its own UI)'}`,
              `  NATS         ${env.natsUrl ?? '(none)'}  (${env.origin.nats}); transaction feed stream ${config.LEDGERFLOW_FEED_STREAM}`,
              `  providers    registry ${urls.registryUrl}, credit bureau ${urls.bureauUrl}${providers ? ' (simulated)' : ''}`,
              `  data dir     ${config.dataDir}`,
              ...(traceTo
                ? [`  traces       ${new URL(traceTo.endpoint).origin} as ${traceTo.serviceName}`]
                : []),
              `  admin        ${admin} (act as it: LEDGERFLOW_PRINCIPAL=${admin} npx ledgerflow ...)`,
              'In another terminal: npx ledgerflow doctor | npx ledgerflow --help. Ctrl-C stops everything.',
            ].join('\n'),
          );
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          info('stopping ...');
          await worker.shutdown();
        } finally {
          await providers?.close();
          removeState();
          await env.close();
          await tracing?.shutdown();
        }
      }),
    );
}
