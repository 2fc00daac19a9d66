/* eslint-disable @typescript-eslint/no-require-imports -- modules load in the action (see lazily()) */
import type { Command } from 'commander';
import { closeDatabase, createDatabase } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { appRoleUrl } from '../../db/roles';
import { loadConfig } from '../../runtime/config';
import type { ProviderEndpoints } from '../../services/loans/enrichment';
import { openEnvironment } from '../../runtime/environment';
import type * as CreateWorker from '../../worker/create-worker';
import type * as WorkerStart from '../../worker/start';
import { createLedger } from '../../ledger/ledger';
import { bootstrapAdmin } from '../bootstrap';
import type * as ConsoleAccess from '../demo/console-access';
import type * as Scenarios from '../demo/scenarios';
import { lazily } from '../lazy';
import { info } from '../output';
import { action } from '../run-command';
import type * as TemporalModule from '../temporal';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'start everything on the embedded defaults, run the demo workflows, show what happened, exit',
    )
    .action(
      action(async () => {
        // The worker, the Temporal client and the scenarios load here, not for --help.
        const { installRuntimeLogger } = await lazily<typeof CreateWorker>(
          () => require('../../worker/create-worker'),
          () => import('../../worker/create-worker.js'),
        );
        const { startWorker } = await lazily<typeof WorkerStart>(
          () => require('../../worker/start'),
          () => import('../../worker/start.js'),
        );
        const { connectTemporalClient } = await lazily<typeof TemporalModule>(
          () => require('../temporal'),
          () => import('../temporal.js'),
        );
        const { demoScenarios } = await lazily<typeof Scenarios>(
          () => require('../demo/scenarios'),
          () => import('../demo/scenarios.js'),
        );
        const { consoleAccess } = await lazily<typeof ConsoleAccess>(
          () => require('../demo/console-access'),
          () => import('../demo/console-access.js'),
        );
        const config = loadConfig();
        // The outage scenario fails activities on purpose; the demo prints its own account of them.
        installRuntimeLogger('ERROR');
        const env = await openEnvironment(config, { log: info, nats: true });
        try {
          await runMigrations(config, env.ownerUrl);
          // Each loan scenario starts its own simulators (with its own faults) under this worker.
          let providers: ProviderEndpoints | undefined;
          const worker = await startWorker({
            config,
            ownerUrl: env.ownerUrl,
            temporalAddress: env.temporalAddress,
            log: info,
            providers: () => providers,
            natsUrl: env.natsUrl,
          });
          const client = await connectTemporalClient(env.temporalAddress, config.TEMPORAL_NAMESPACE);
          const reader = createDatabase(appRoleUrl(config, env.ownerUrl, 'ledgerflow_reader'));
          const writer = createDatabase(appRoleUrl(config, env.ownerUrl, 'ledgerflow_writer'));
          let admin = '';
          let consoleLines: string[] = [];
          try {
            admin = await bootstrapAdmin(createLedger(writer), info);
            for (const scenario of demoScenarios) {
              info(`\n== ${scenario.name}`);
              await scenario.run({
                config,
                client,
                taskQueue: config.TEMPORAL_TASK_QUEUE,
                reader,
                writer,
                ownerUrl: env.ownerUrl,
                natsUrl: env.natsUrl,
                admin,
                log: info,
                useProviders: (urls) => {
                  providers = urls;
                },
              });
            }
            consoleLines = await consoleAccess(config, writer, admin);
          } finally {
            await client.connection.close();
            await closeDatabase(reader);
            await closeDatabase(writer);
            await worker.shutdown();
          }
          info(
            [
              '',
              'Done. Workflow histories are kept in ' + `${config.dataDir}/temporal.db` + '.',
              'See them in the Temporal Web UI: run "npx ledgerflow dev" and open http://127.0.0.1:' +
                config.LEDGERFLOW_TEMPORAL_UI_PORT,
              'Verify the ledger: npx ledgerflow ledger verify',
              `Act as the admin "${admin}": LEDGERFLOW_PRINCIPAL=${admin} npx ledgerflow principals add <id> --roles operator`,
              ...consoleLines,
            ].join('\n'),
          );
        } finally {
          await env.close();
        }
      }),
    );
}
