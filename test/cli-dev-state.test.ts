import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { latestMigrationTag, migrationJournal } from '../db/migrations-journal';
import { createCli } from './support';

// A database with no schema at all, standing for a running `ledgerflow dev`'s (the state file
// below points at it): what a command does to it shows whether it ran the migrations.
const adminUrl = inject('pgAdminUrl');
const name = `lf_devstate_${randomBytes(4).toString('hex')}`;
const ownerUrl = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-dev-state-'));

const cli = createCli(() => ({
  env: {
    DATABASE_URL: undefined,
    LEDGERFLOW_WRITER_URL: undefined,
    LEDGERFLOW_READER_URL: undefined,
    LEDGERFLOW_PURGER_URL: undefined,
    TEMPORAL_ADDRESS: undefined,
    LEDGERFLOW_DATA_DIR: dataDir,
    LEDGERFLOW_PRINCIPAL: 'nobody-here',
  },
}));

/** The state file a running `ledgerflow dev` writes (this test process stands in for its pid). */
function devState(migrated: string): void {
  writeFileSync(
    path.join(dataDir, 'dev.json'),
    JSON.stringify({ pid: process.pid, ownerUrl, temporalAddress: '127.0.0.1:1', migrated }),
  );
}

async function appliedMigrations(): Promise<number | undefined> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`);
    return r.rows[0]?.n;
  } catch {
    return undefined; // no migrations table: never migrated
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
});
afterAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe("commands against a running `ledgerflow dev`'s database", () => {
  it('skip the migrations when dev applied this build’s newest one', async () => {
    devState(latestMigrationTag());
    const r = await cli(['events', 'list']);
    expect(r.code).not.toBe(0); // the empty schema: the command fails, and migrated nothing
    expect(await appliedMigrations()).toBeUndefined();
  });

  it('apply them when dev is of an older build (its newest migration is not this build’s)', async () => {
    devState('0000_an_older_build');
    const r = await cli(['events', 'list']);
    expect(r.stderr).toMatch(/nobody-here/); // migrated, then refused the unknown principal
    expect(r.code).toBe(2);
    expect(await appliedMigrations()).toBe(migrationJournal().length);
  });
});
