import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Config } from '../runtime/config';
import { migrationsFolder } from './migrations-journal';
import { APP_ROLES, appRolePassword } from './roles';

export { migrationsFolder };

/** A migration failed; nothing after the failing migration was applied. */
export class MigrationError extends Error {
  readonly code = 'MIGRATION';
}

/**
 * Applies the committed drizzle-kit migrations as the owner, then sets the app roles'
 * passwords (unless their URLs are given explicitly). Serialised by an advisory lock so
 * concurrent runs (several test files, several workers) do not race.
 */
export async function runMigrations(config: Config, ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  try {
    await client.connect();
  } catch (err) {
    throw new MigrationError(`cannot connect to PostgreSQL to migrate: ${(err as Error).message}`);
  }
  client.on('notice', () => undefined);
  try {
    await client.query('SELECT pg_advisory_lock(1818580807)');
    await migrate(drizzle(client), { migrationsFolder });
    const explicitUrls =
      config.LEDGERFLOW_WRITER_URL || config.LEDGERFLOW_READER_URL || config.LEDGERFLOW_PURGER_URL;
    if (!explicitUrls) {
      for (const role of APP_ROLES) {
        const pw = appRolePassword(config, ownerUrl, role).replace(/'/g, "''");
        await client.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD '${pw}'`);
      }
    }
  } catch (err) {
    const e = err as Error & { hint?: string; cause?: Error & { hint?: string } };
    const root = e.cause ?? e;
    throw new MigrationError(`migration failed: ${root.message}${root.hint ? ` (${root.hint})` : ''}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
