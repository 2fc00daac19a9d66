import type { Command } from 'commander';
import { runMigrations } from '../../db/migrate';
import { loadConfig } from '../../runtime/config';
import { openEnvironment } from '../../runtime/environment';
import { info } from '../output';
import { action } from '../run-command';

export function register(program: Command): void {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply the committed migrations as the database owner (roles, grants, append-only guards)')
    .action(
      action(async () => {
        const config = loadConfig();
        const env = await openEnvironment(config, { temporal: false, log: info });
        try {
          await runMigrations(config, env.ownerUrl);
          info(`migrations applied (${env.origin.postgres})`);
        } finally {
          await env.close();
        }
      }),
    );
}
