import type { Command } from 'commander';
import { closeDatabase, createDatabase } from '../../db/client';
import { runMigrations } from '../../db/migrate';
import { appRoleUrl } from '../../db/roles';
import { loadConfig } from '../../runtime/config';
import type { ProviderEndpoints } from '../../services/loans/enrichment';
import { openEnvironment } from '../../runtime/environment';
import { installRuntimeLogger } from '../../worker/create-worker';
import { startWorker } from '../../worker/start';
import { createLedger } from '../../ledger/ledger';
import { bootstrapAdmin } from '../bootstrap';
import { consoleAccess } from '../demo/console-access';
import { demoScenarios } from '../demo/scenarios';
import { info } from '../output';
import { action } from '../run-command';
import { connectTemporalClient } from '../temporal';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'start everything on the embedded defaults, run the demo workflows, show what happened, exit',
    )
    .action(
      action(async () => {
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
