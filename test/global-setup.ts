import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../runtime/config';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { findNatsServer, startNatsServer } from '../runtime/nats-server';
import { freePort, startTemporalDevServer } from '../runtime/temporal-server';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Owner URL of the cluster's maintenance database: tests create their own databases from it. */
    pgAdminUrl: string;
    /** A migrated database each test file clones (CREATE DATABASE ... TEMPLATE). */
    pgTemplate: string;
    temporalAddress: string;
    /** The run's NATS JetStream broker (NATS_URL, else one started here); '' when none is installed outside CI. */
    natsUrl: string;
  }
}

/**
 * One real PostgreSQL and one real Temporal dev server for the whole run. DATABASE_URL and
 * TEMPORAL_ADDRESS are honoured when set; otherwise both are started here.
 */
export default async function setup(project: TestProject) {
  buildCompiledCli();
  const config = loadConfig();
  const stops: Array<() => Promise<void>> = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-test-'));

  let adminUrl: string;
  if (config.DATABASE_URL) {
    const u = new URL(config.DATABASE_URL);
    u.pathname = '/postgres';
    adminUrl = u.toString();
  } else {
    const pgHandle = await startEmbeddedPostgres({
      dir: path.join(tmp, 'pg'),
      port: await freePort(),
      persistent: false,
    });
    stops.push(() => pgHandle.stop());
    adminUrl = pgHandle.adminUrl;
  }
  const template = `lf_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${template}`;
  await runMigrations(config, templateUrl.toString());

  let temporalAddress = config.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    const server = await startTemporalDevServer({
      port: await freePort(),
      logFile: path.join(tmp, 'temporal.log'),
      log: console.log,
      lookup: config,
    });
    stops.push(() => server.stop());
    temporalAddress = server.address;
  }

  // One broker per run. With CI=true a missing broker fails the run; locally, feed tests fail
  // with a message naming what to install.
  let natsUrl = config.NATS_URL ?? '';
  if (!natsUrl && (findNatsServer(config) || process.env.CI === 'true')) {
    const broker = await startNatsServer({
      dir: path.join(tmp, 'nats'),
      port: await freePort(),
      logFile: path.join(tmp, 'nats.log'),
      lookup: config,
    });
    stops.push(() => broker.stop());
    natsUrl = broker.url;
  }

  project.provide('pgAdminUrl', adminUrl);
  project.provide('natsUrl', natsUrl);
  project.provide('pgTemplate', template);
  project.provide('temporalAddress', temporalAddress);

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  };
}

/**
 * Tests that spawn bin/ledgerflow.cjs need a current dist/ (the bin refuses a stale one): build it
 * when it is missing or older than the sources, as `npm ci` ("prepare") would.
 */
function buildCompiledCli(): void {
  const root = path.resolve(__dirname, '..');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'scripts', 'build.ts'), '--if-stale'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (r.status !== 0)
    throw new Error(`npm run build failed (exit ${r.status}): the spawned-CLI tests need dist/`);
}
