import { readFileSync } from 'node:fs';
import pg from 'pg';
import { withBenchDatabase } from './postgres';
import { backendCpuMs } from './interleave';
import { findJitPostgres, startJitPostgres } from './system-postgres';

/**
 * Profile of one purge batch (scratch tool, not part of the suite): backend CPU per rolled-back
 * batch (median of reps), statements per batch and their split (auto_explain at NOTICE level,
 * nested statements), on embedded PostgreSQL 18 and the system's 15 with JIT.
 * Usage: tsx bench/retention-profile.ts [size] [reps] [sqlfile-to-apply]
 */
const size = Number(process.argv[2] ?? 20000);
const reps = Number(process.argv[3] ?? 7);
const extraSql = process.argv[4];
const BATCH = 5000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function cpuOf(c: pg.Client, pid: number, sql: string): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = backendCpuMs([pid])!;
    await c.query(`BEGIN; ${sql}; ROLLBACK`);
    out.push(backendCpuMs([pid])! - t0);
  }
  return median(out);
}

async function split(c: pg.Client, sql: string) {
  const notices: string[] = [];
  const on = (n: { message?: string }) => notices.push(n.message ?? '');
  c.on('notice', on);
  await c.query(
    `LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
     SET auto_explain.log_analyze = on; SET auto_explain.log_level = notice; SET auto_explain.log_timing = off`,
  );
  await c.query(`BEGIN; ${sql}; ROLLBACK`);
  await c.query('SET auto_explain.log_min_duration = -1');
  c.off('notice', on);
  for (const n of notices) {
    const dur = /duration: ([\d.]+) ms/.exec(n)?.[1];
    const q = /Query Text: ([\s\S]*?)\n/.exec(n)?.[1] ?? '';
    console.log(`    ${dur?.padStart(9)} ms  ${q.replace(/\s+/g, ' ').slice(0, 110)}`);
  }
  console.log(`    ${notices.length} statements`);
}

async function profile(ownerUrl: string, label: string) {
  const c = new pg.Client({ connectionString: ownerUrl });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await profileOn(c, label);
  } catch (e) {
    console.error(`profile failed: ${(e as Error).message}`);
    throw e;
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function profileOn(c: pg.Client, label: string) {
  if (extraSql) await c.query(readFileSync(extraSql, 'utf8'));
  await c.query(
    `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
       resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest, prev_hash, hash)
     SELECT 'bench', s, gen_random_uuid(), 'bench.personal_data', 'service', 'bench', now() - interval '10 days',
            'application', 'app-' || s, 'record', 'success', 'subj-' || s, 'case-' || (s % 10000), '{}', 1, 'k' || s,
            sha256(convert_to(s::text, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
       FROM generate_series(1, $1::int) s`,
    [size],
  );
  await c.query(
    `INSERT INTO ledger_payloads (stream, seq, salt, payload)
     SELECT 'bench', s, decode(md5(s::text), 'hex'), jsonb_build_object('name', 'Person ' || s, 'address', repeat('x', 120))
       FROM generate_series(1, $1::int) s`,
    [size],
  );
  await c.query(`CREATE TABLE bench_plain_payloads (LIKE ledger_payloads INCLUDING ALL, case_id text)`);
  await c.query(
    `INSERT INTO bench_plain_payloads SELECT p.*, e.case_id FROM ledger_payloads p JOIN ledger_events e USING (stream, seq)`,
  );
  await c.query(
    `INSERT INTO loan_applications (id, applicant, company_registration_number, amount, currency, term_months, purpose,
       file_digest, submitted_by, created_at, updated_at)
     SELECT 'app-' || lpad(s::text, 9, '0'), jsonb_build_object('name', 'Person ' || s, 'address', repeat('x', 80)),
            'HRB ' || s, 1000 + s % 5000, 'EUR', 12, 'working capital', md5(s::text), 'bench',
            now() - interval '10 days', now() - interval '10 days'
       FROM generate_series(1, $1::int) s`,
    [size],
  );
  await c.query(
    `CREATE TABLE bench_plain_apps (LIKE loan_applications INCLUDING ALL, held boolean NOT NULL DEFAULT false)`,
  );
  await c.query(`INSERT INTO bench_plain_apps SELECT a.*, right(a.id, 2) = '00' FROM loan_applications a`);
  await c.query(
    `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
     SELECT gen_random_uuid(), 'case', 'app-' || lpad((s * 100)::text, 9, '0'), 'B', 'bench', 'bench' FROM generate_series(1, $1::int / 100) s
     UNION ALL SELECT gen_random_uuid(), 'case', 'case-' || (s * 100 + 7), 'B', 'bench', 'bench' FROM generate_series(0, 99) s`,
    [size],
  );
  await c.query(`INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
       legal_minimum_seconds, changed_by, reason)
     VALUES ('b', 1, '{loan_applications,ledger_payloads}', 86400, 'P1D', 'created', 'delete', 0, 'bench', 'bench')`);
  await c.query('VACUUM ANALYZE');
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const asOf = (await c.query('SELECT clock_timestamp() AS t')).rows[0].t.toISOString() as string;
  const purge = (cls: string) => `SELECT retention_purge_batch('r', '${cls}', '${asOf}', ${BATCH}, NULL)`;
  const plainApps = `DELETE FROM bench_plain_apps WHERE ctid IN (SELECT ctid FROM bench_plain_apps WHERE id > '' AND NOT held ORDER BY id LIMIT ${BATCH})`;
  const plainPay = `DELETE FROM bench_plain_payloads WHERE ctid IN (SELECT ctid FROM bench_plain_payloads WHERE stream = 'bench' AND seq > 0 AND NOT (case_id = ANY ('{case-7,case-107}')) ORDER BY stream, seq LIMIT ${BATCH})`;
  for (let warm = 0; warm < 2; warm++) {
    await cpuOf(c, pid, purge('ledger_payloads'));
    await cpuOf(c, pid, purge('loan_applications'));
  }
  console.log(`\n== ${label} (size ${size}, ${reps} reps, CPU ms per ${BATCH}-row batch, median)`);
  console.log(
    `  payloads: plain ${(await cpuOf(c, pid, plainPay)).toFixed(1)}  purge ${(await cpuOf(c, pid, purge('ledger_payloads'))).toFixed(1)}`,
  );
  console.log(
    `  loan_applications: plain ${(await cpuOf(c, pid, plainApps)).toFixed(1)}  purge ${(await cpuOf(c, pid, purge('loan_applications'))).toFixed(1)}`,
  );
  const digests: Record<string, string> = {
    none: `x.id`,
    v1_row_text: `sha256(convert_to(ROW(x.id, x.applicant, x.company_registration_number, x.amount, x.currency, x.term_months, x.purpose, x.file_digest, x.submitted_by, x.status, x.decision, x.decided_by, x.workflow_run_id, x.created_at, x.updated_at)::text, 'UTF8'))`,
    row_text_only: `ROW(x.id, x.applicant, x.company_registration_number, x.amount, x.currency, x.term_months, x.purpose, x.file_digest, x.submitted_by, x.status, x.decision, x.decided_by, x.workflow_run_id, x.created_at, x.updated_at)::text`,
    record_send: `sha256(record_send(ROW(x.id, x.applicant, x.company_registration_number, x.amount, x.currency, x.term_months, x.purpose, x.file_digest, x.submitted_by, x.status, x.decision, x.decided_by, x.workflow_run_id, x.created_at, x.updated_at)))`,
    record_send_only: `record_send(ROW(x.id, x.applicant, x.company_registration_number, x.amount, x.currency, x.term_months, x.purpose, x.file_digest, x.submitted_by, x.status, x.decision, x.decided_by, x.workflow_run_id, x.created_at, x.updated_at))`,
    jsonb_text: `x.applicant::text`,
    ts_text: `x.created_at::text || x.updated_at::text`,
    ts_send: `timestamptz_send(x.created_at) || timestamptz_send(x.updated_at)`,
    num_text: `x.amount::text`,
    sha_small: `sha256(convert_to(x.id, 'UTF8'))`,
  };
  for (const [name, e] of Object.entries(digests)) {
    const ms = await cpuOf(
      c,
      pid,
      `SELECT sum(length(${e})) FROM (SELECT * FROM loan_applications x ORDER BY id LIMIT ${BATCH}) x`,
    );
    console.log(`  expr ${name.padEnd(18)} ${ms.toFixed(1)} ms`);
  }
  const row = `record_send(ROW(x.id, x.applicant, x.company_registration_number, x.amount, x.currency, x.term_months, x.purpose, x.file_digest, x.submitted_by, x.status, x.decision, x.decided_by, x.workflow_run_id, x.created_at, x.updated_at))`;
  const aggs: Record<string, string> = {
    count: 'count(*)',
    tids_sorted: 'array_agg(x.tid ORDER BY x.id)',
    tids: 'array_agg(x.tid)',
    minmax: 'min(x.id), max(x.id)',
    v2_sorted: `sha256(string_agg(sha256(${row}), ''::bytea ORDER BY x.id))`,
    v2_unsorted: `sha256(string_agg(sha256(${row}), ''::bytea))`,
    v2_both_sorted: `array_agg(x.tid ORDER BY x.id), sha256(string_agg(sha256(${row}), ''::bytea ORDER BY x.id))`,
    concat_sorted: `sha256(string_agg(${row}, ''::bytea ORDER BY x.id))`,
    concat_unsorted: `sha256(string_agg(${row}, ''::bytea))`,
    v1_sorted: `sha256(convert_to(string_agg(x.id || ' ' || encode(sha256(convert_to(ROW(x.id, x.applicant, x.company_registration_number, x.amount, x.currency, x.term_months, x.purpose, x.file_digest, x.submitted_by, x.status, x.decision, x.decided_by, x.workflow_run_id, x.created_at, x.updated_at)::text, 'UTF8')), 'hex') || E'\\n', '' ORDER BY x.id), 'UTF8'))`,
  };
  for (const [name, e] of Object.entries(aggs)) {
    const ms = await cpuOf(
      c,
      pid,
      `SELECT ${e} FROM (SELECT x.ctid AS tid, x.* FROM loan_applications x ORDER BY id LIMIT ${BATCH}) x`,
    );
    console.log(`  agg ${name.padEnd(18)} ${ms.toFixed(1)} ms`);
  }
  const pay: Record<string, string> = {
    pay_none: 'count(*)',
    pay_v1_cat: `sha256(convert_to(string_agg(x.stream || ':' || x.seq || ' ' || encode(e.payload_digest, 'hex') || E'\\n', '' ORDER BY x.stream, x.seq), 'UTF8'))`,
    pay_v1_concat: `sha256(convert_to(string_agg(concat(x.stream, ':', x.seq, ' ', encode(e.payload_digest, 'hex'), E'\\n'), '' ORDER BY x.stream, x.seq), 'UTF8'))`,
  };
  for (const [name, e] of Object.entries(pay)) {
    const ms = await cpuOf(
      c,
      pid,
      `SELECT ${e} FROM (SELECT * FROM ledger_payloads x WHERE stream = 'bench' AND seq <= ${BATCH}) x JOIN ledger_events e USING (stream, seq)`,
    );
    console.log(`  agg ${name.padEnd(18)} ${ms.toFixed(1)} ms`);
  }
  if (process.env.EXPR_ONLY) return;
  console.log('  split, payload batch:');
  await split(c, purge('ledger_payloads'));
  console.log('  split, loan_applications batch:');
  await split(c, purge('loan_applications'));
}

async function main() {
  await withBenchDatabase((url) => profile(url, 'PostgreSQL 18 (embedded)'));
  const bin = findJitPostgres();
  if (!bin || process.env.ONLY18) return;
  const server = await startJitPostgres(bin);
  try {
    await withBenchDatabase((url) => profile(url, server.version), server.adminUrl);
  } finally {
    await server.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
