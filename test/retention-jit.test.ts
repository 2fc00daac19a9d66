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
import { createTestDatabase, type TestDatabase } from './support';
import { collectPlans, nodeTypes, tableReads } from './support/plans';

/**
 * The embedded PostgreSQL 18 is built without JIT; PostgreSQL <= 17 from the distributions (and the
 * official images) has it on by default. The purge function disables plan types to pin its plan,
 * which inflated estimated costs past the JIT thresholds: each batch paid a JIT compile (~0.1-0.7 s)
 * even when it deleted nothing. Checked here on Debian's PostgreSQL with jit = on: auto_explain
 * reports every statement the function runs, and none may carry a JIT section.
 *
 * PostgreSQL 15 also planned the claim from the events' side, starting at the stream's first
 * event: every batch re-read the events (and probed the deleted payloads) of all earlier batches,
 * so a 50k-row purge slowed down batch after batch (663 rows/s). Checked on the plan of a later
 * batch: no table in the claim is read beyond the batch.
 */
const bin = findJitPostgres();
const ci = process.env.CI === 'true';
const POLICY_SQL = `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger,
    action, legal_minimum_seconds, changed_by, reason)
  VALUES ('jit', 1, '{ledger_payloads}', 86400, 'P1D', 'created', 'purge_payload', 0, 'test', 'test')`;

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
    await owner.query(POLICY_SQL);
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
    // The function's statements were all seen (the claim's window among them: it finds no
    // payload after the cursor), and none was JIT-compiled.
    expect(plans.some((p) => p.includes('FROM ledger_payloads x WHERE'))).toBe(true);
    expect(plans.filter((p) => p.includes('JIT:'))).toEqual([]);
  });

  it.skipIf(!bin)(
    'reads only the rows of the batch in a later batch (no walk from the stream start)',
    async () => {
      await laterBatchClaim(owner as pg.Client);
    },
  );
});

describe('retention purge claim on the embedded PostgreSQL', () => {
  let t: TestDatabase;
  let c: pg.Client;
  beforeAll(async () => {
    t = await createTestDatabase();
    c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    await c.query(POLICY_SQL);
  });
  afterAll(async () => {
    await c.end().catch(() => undefined);
    await t.drop();
  });

  it('reads only the rows of the batch in a later batch, without a cache in front of the event look-up', async () => {
    await laterBatchClaim(c);
  });
});

/**
 * Purges 3 batches of 1,000 of 8,000 expired payloads (two streams) and checks the third batch's
 * claim (auto_explain, JSON): each table is read exactly 1,000 times (no re-read of earlier
 * batches, no range re-scan per row) and no Memoize node sits in front of the per-row event
 * look-up (keys are unique: a cache only adds its cost; PostgreSQL 18 planned one).
 */
async function laterBatchClaim(c: pg.Client): Promise<void> {
  const limit = 1000;
  await c.query(
    `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
     resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest,
     prev_hash, hash)
   SELECT st, s, gen_random_uuid(), 'test.personal_data', 'service', 'test', now() - interval '10 days',
          'application', 'app-' || s, 'record', 'success', 'subj-' || s, 'case-' || s, '{}', 1, 'k' || s,
          sha256(convert_to(s::text, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
     FROM generate_series(1, $1::int) s, unnest(ARRAY['walk-a', 'walk-b']) st`,
    [4 * limit],
  );
  await c.query(
    `INSERT INTO ledger_payloads (stream, seq, salt, payload)
   SELECT st, s, decode(md5(s::text), 'hex'), jsonb_build_object('name', 'Person ' || s)
     FROM generate_series(1, $1::int) s, unnest(ARRAY['walk-a', 'walk-b']) st`,
    [4 * limit],
  );
  await c.query('VACUUM ANALYZE ledger_events, ledger_payloads');
  await c.query(`SET auto_explain.log_min_duration = -1`);
  let collected: Awaited<ReturnType<typeof collectPlans>> | undefined;
  let cursor: unknown = null;
  for (let batch = 1; batch <= 3; batch++) {
    if (batch === 3) collected = await collectPlans(c);
    await c.query('BEGIN');
    const r = await c.query(
      `SELECT retention_purge_batch('walk', 'ledger_payloads', now() - interval '1 second', $1, $2::jsonb) AS r`,
      [limit, cursor === null ? null : JSON.stringify(cursor)],
    );
    await c.query('COMMIT');
    expect(r.rows[0].r).toMatchObject({ purged: limit, claimed: limit });
    cursor = r.rows[0].r.cursor;
  }
  await c.query(`SET client_min_messages = notice`);
  const { notices, plansOf } = collected!;
  const claim = plansOf('SELECT array_agg(c.tid')[0];
  expect(claim).toBeDefined();
  const reads = tableReads(claim!.Plan);
  expect(Object.keys(reads).sort()).toEqual(['ledger_events', 'ledger_payloads']);
  for (const [table, rows] of Object.entries(reads)) expect({ table, rows }).toEqual({ table, rows: limit });
  expect(nodeTypes(claim!.Plan)).not.toContain('Memoize');
  // No statement of a batch that claims and deletes rows is JIT-compiled either.
  expect(notices.filter((p) => p.includes('"JIT"'))).toEqual([]);
}
