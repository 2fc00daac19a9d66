import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The committed drizzle-kit migrations (SQL files and meta/_journal.json). */
export const migrationsFolder = path.join(__dirname, 'migrations');

/** The migrations this build ships, in order (drizzle-kit's journal). */
export function migrationJournal(): Array<{ idx: number; tag: string }> {
  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ idx: number; tag: string }>;
  };
  return journal.entries;
}

/** Tag of the newest migration this build ships (e.g. `0027_purge_speed`). */
export function latestMigrationTag(): string {
  return migrationJournal().at(-1)?.tag ?? '';
}
