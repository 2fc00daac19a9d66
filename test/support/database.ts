import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { appRoleUrl, type AppRole } from '../../db/roles';
import { loadConfig, type Config } from '../../runtime/config';

export interface TestDatabase {
  name: string;
  /** Owner URL: for arranging tamper scenarios, never for code under test. */
  ownerUrl: string;
  config: Config;
  urlFor(role: AppRole): string;
  /** A pool connected as `role` (default: the writer), closed by `drop()`. */
  connect(role?: AppRole): Database;
  /** Runs one statement as the owner (a superuser on the embedded cluster). */
  asOwner<T extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<T>>;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `lf_test_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await admin.end();
  const owner = new URL(adminUrl);
  owner.pathname = `/${name}`;
  const ownerUrl = owner.toString();
  const config = loadConfig({ ...process.env, DATABASE_URL: ownerUrl });
  const pools: Database[] = [];
  return {
    name,
    ownerUrl,
    config,
    urlFor: (role) => appRoleUrl(config, ownerUrl, role),
    connect(role = 'ledgerflow_writer') {
      const db = createDatabase(appRoleUrl(config, ownerUrl, role), { max: 40 });
      pools.push(db);
      return db;
    },
    async asOwner(sql, params) {
      const c = new pg.Client({ connectionString: ownerUrl });
      await c.connect();
      try {
        return await c.query(sql, params);
      } finally {
        await c.end();
      }
    },
    async drop() {
      await Promise.all(pools.map((p) => p.$client.end().catch(() => undefined)));
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** A minimal valid audit event for tests. */
export function sampleEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_type: 'test.event_recorded',
    actor: { type: 'service' as const, id: 'test-suite' },
    resource: { type: 'test', id: 'r-1' },
    action: 'record',
    outcome: 'success' as const,
    payload: { note: 'hello' },
    ...overrides,
  };
}
