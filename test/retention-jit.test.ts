import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JIT_POSTGRES_INSTALL,
  findJitPostgres,
  startJitPostgres,
  type SystemPostgres,
} from '../bench/system-postgres';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../runtime/config';

/**
 * The embedded PostgreSQL 18 is built without JIT; PostgreSQL <= 17 from the distributions (and the
 * official images) has it on by default. The purge function disables plan types to pin its plan,
 * which inflated estimated costs past the JIT thresholds: each batch paid a JIT compile (~0.1-0.7 s)
 * even when it deleted nothing. Checked here on Debian's PostgreSQL with jit = on: auto_explain
 * reports every statement the function runs, and none may carry a JIT section.
 */
const bin = findJitPostgres();
const ci = process.env.CI === 'true';

describe('retention purge on a PostgreSQL with JIT', () => {
  let server: SystemPostgres | undefined;
  let owner: pg.Client | undefined;

  beforeAll(async () => {
    if (!bin) return;
    server = await startJitPostgres(bin);
    const admin = new pg.Client({ connectionString: server.adminUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE ledgerflow');
    await admin.end();
    const ownerUrl = server.adminUrl.replace(/\/postgres$/, '/ledgerflow');
    await runMigrations(loadConfig(), ownerUrl);
    owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(
      `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
         legal_minimum_seconds, changed_by, reason)
       VALUES ('jit', 1, '{ledger_payloads}', 86400, 'P1D', 'created', 'purge_payload', 0, 'test', 'test')`,
    );
  }, 120_000);
  afterAll(async () => {
    await owner?.end().catch(() => undefined);
    await server?.stop();
  });

  it.runIf(ci && !bin)('is installed in CI', () => {
    throw new Error(`no system PostgreSQL with JIT: ${JIT_POSTGRES_INSTALL}`);
  });

  it.skipIf(!bin)('runs a purge batch without compiling anything', async () => {
    const c = owner as pg.Client;
    const plans: string[] = [];
    c.on('notice', (n) => plans.push(n.message ?? ''));
    await c.query(`LOAD 'auto_explain'`);
    await c.query(`SET auto_explain.log_min_duration = 0`);
    await c.query(`SET auto_explain.log_nested_statements = on`);
    await c.query(`SET auto_explain.log_analyze = on`);
    await c.query(`SET client_min_messages = log`);
    expect((await c.query(`SHOW jit`)).rows[0].jit).toBe('on');
    await c.query('BEGIN');
    const r = await c.query(
      `SELECT retention_purge_batch('jit-check', 'ledger_payloads', now() - interval '1 second', 100, '["zzz", 1]') AS r`,
    );
    await c.query('ROLLBACK');
    expect(r.rows[0].r).toMatchObject({ purged: 0, claimed: 0, done: true, policy_versions: 'jit@v1' });
    // The function's statements were all seen (the claim among them), and none was JIT-compiled.
    expect(plans.some((p) => p.includes('SELECT array_agg(c.tid'))).toBe(true);
    expect(plans.filter((p) => p.includes('JIT:'))).toEqual([]);
  });
});
