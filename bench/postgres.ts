import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../runtime/config';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { freePort } from '../runtime/temporal-server';

export const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
export const fmt = (n: number) => n.toLocaleString('en-US');

/**
 * Runs `fn` with the owner URL of a fresh, migrated database: on `server` (a superuser URL of its
 * maintenance database) when given, else on DATABASE_URL's server when set, else on an embedded
 * PostgreSQL started for this run. Dropped (and stopped) afterwards.
 */
export async function withBenchDatabase<T>(
  fn: (ownerUrl: string) => Promise<T>,
  server?: string,
): Promise<T> {
  const config = loadConfig();
  let adminUrl: string;
  let stop: () => Promise<void> = async () => undefined;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bench-'));
  if (server) {
    adminUrl = server;
  } else if (config.DATABASE_URL) {
    const u = new URL(config.DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    const h = await startEmbeddedPostgres({
      dir: path.join(tmp, 'pg'),
      port: await freePort(),
      persistent: false,
    });
    adminUrl = h.adminUrl;
    stop = h.stop;
  }
  const name = `lf_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const owner = new URL(adminUrl);
  owner.pathname = `/${name}`;
  try {
    await runMigrations(config, owner.toString());
    return await fn(owner.toString());
  } finally {
    const a = new pg.Client({ connectionString: adminUrl });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await a.end();
    await stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}
