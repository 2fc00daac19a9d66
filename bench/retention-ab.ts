import { execFileSync } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import { withBenchDatabase } from './postgres';
import { backendCpuMs } from './interleave';
import { findJitPostgres, startJitPostgres } from './system-postgres';

/**
 * Old vs new purge function, alternated batch by batch in one session (scratch tool, not part of
 * the suite): committed 5 000-row batches through N rows per side, server CPU per batch from each
 * side's own backend (/proc/<pid>/schedstat), next to the plain batched DELETE. The old function
 * is `retention_purge_batch` as of git revision BASE (default 3bc2121), installed as
 * `retention_purge_batch_old`; the new one is the migrated database's. Each side purges its own
 * key range (stream / id prefix "a" and "b"), so neither sees the other's deletions.
 * Usage: tsx bench/retention-ab.ts [size per side] [base revision]
 */
const size = Number(process.argv[2] ?? 100000);
const base = process.argv[3] ?? '3bc2121';
const BATCH = 5000;
const batches = Math.floor((size * 0.99) / BATCH) - 1;

function oldFunctionSql(): string {
  const src = execFileSync('git', ['show', `${base}:db/sql/retention.sql`], { encoding: 'utf8' });
  const start = src.indexOf('CREATE OR REPLACE FUNCTION retention_purge_batch(');
  const end = src.indexOf('END $$;', start) + 'END $$;'.length;
  return src
    .slice(start, end)
    .replace('FUNCTION retention_purge_batch(', 'FUNCTION retention_purge_batch_old(');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Side {
  name: string;
  c: pg.Client;
  pid: number;
  cpu: number[];
  step(): Promise<void>;
}

async function side(url: string, name: string, step: (c: pg.Client) => Promise<void>): Promise<Side> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const pid = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return { name, c, pid, cpu: [], step: () => step(c) };
}

async function alternate(sides: Side[], label: string) {
  for (let round = 0; round < batches; round++) {
    const k = round % sides.length;
    const order = [...sides.slice(k), ...sides.slice(0, k)];
    for (const s of round % 2 ? order.reverse() : order) {
      const t0 = backendCpuMs([s.pid])!;
      await s.step();
      s.cpu.push(backendCpuMs([s.pid])! - t0);
    }
  }
  const plain = sides[0]!;
  console.log(`  ${label} (${batches} batches each, load ${os.loadavg()[0]!.toFixed(1)}):`);
  for (const s of sides) {
    console.log(
      `    ${s.name.padEnd(6)} CPU/batch median ${median(s.cpu).toFixed(1)} mean ${mean(s.cpu).toFixed(1)} ms` +
        (s === plain ? '' : `  ratio ${(median(plain.cpu) / median(s.cpu)).toFixed(2)}x`),
    );
  }
}

async function runOn(url: string, label: string) {
  const o = new pg.Client({ connectionString: url });
  await o.connect();
  await o.query(oldFunctionSql());
  await o.query(
    `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
       resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest, prev_hash, hash)
     SELECT st, s, gen_random_uuid(), 'bench.personal_data', 'service', 'bench', now() - interval '10 days',
            'application', 'app-' || s, 'record', 'success', 'subj-' || s, 'case-' || (s % 10000), '{}', 1, st || s,
            sha256(convert_to(s::text, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
       FROM generate_series(1, $1::int) s, unnest('{a,b}'::text[]) st`,
    [size],
  );
  await o.query(
    `INSERT INTO ledger_payloads (stream, seq, salt, payload)
     SELECT st, s, decode(md5(s::text), 'hex'), jsonb_build_object('name', 'Person ' || s, 'address', repeat('x', 120))
       FROM generate_series(1, $1::int) s, unnest('{a,b}'::text[]) st`,
    [size],
  );
  await o.query(`CREATE TABLE bench_plain_payloads (LIKE ledger_payloads INCLUDING ALL, case_id text)`);
  await o.query(
    `INSERT INTO bench_plain_payloads SELECT p.*, e.case_id FROM ledger_payloads p JOIN ledger_events e USING (stream, seq) WHERE p.stream = 'a'`,
  );
  await o.query(
    `INSERT INTO loan_applications (id, applicant, company_registration_number, amount, currency, term_months, purpose,
       file_digest, submitted_by, created_at, updated_at)
     SELECT st || '-' || lpad(s::text, 9, '0'), jsonb_build_object('name', 'Person ' || s, 'address', repeat('x', 80)),
            'HRB ' || s, 1000 + s % 5000, 'EUR', 12, 'working capital', md5(s::text), 'bench',
            now() - interval '10 days', now() - interval '10 days'
       FROM generate_series(1, $1::int) s, unnest('{a,b}'::text[]) st`,
    [size],
  );
  await o.query(
    `CREATE TABLE bench_plain_apps (LIKE loan_applications INCLUDING ALL, held boolean NOT NULL DEFAULT false)`,
  );
  await o.query(
    `INSERT INTO bench_plain_apps SELECT a.*, right(a.id, 2) = '00' FROM loan_applications a WHERE a.id < 'b'`,
  );
  await o.query(
    `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
     SELECT gen_random_uuid(), 'case', st || '-' || lpad((s * 100)::text, 9, '0'), 'B', 'bench', 'bench'
       FROM generate_series(1, $1::int / 100) s, unnest('{a,b}'::text[]) st
     UNION ALL SELECT gen_random_uuid(), 'case', 'case-' || (s * 100 + 7), 'B', 'bench', 'bench' FROM generate_series(0, 99) s`,
    [size],
  );
  await o.query(`INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
       legal_minimum_seconds, changed_by, reason)
     VALUES ('b', 1, '{loan_applications,ledger_payloads}', 86400, 'P1D', 'created', 'delete', 0, 'bench', 'bench')`);
  await o.query('VACUUM ANALYZE');
  await o.query('CHECKPOINT');
  const asOf = (await o.query('SELECT clock_timestamp() AS t')).rows[0].t.toISOString() as string;
  const held = Array.from({ length: 100 }, (_, i) => `case-${i * 100 + 7}`);
  console.log(`\n== ${label}, ${size} rows per side`);

  const purgeStep = (fn: string, cls: string, start: unknown) => {
    let cursor = start;
    return async (c: pg.Client) => {
      const r = await c.query(
        `BEGIN; SELECT ${fn}('ab-${fn}', '${cls}', '${asOf}', ${BATCH}, ${cursor === null ? 'NULL' : `'${JSON.stringify(cursor)}'`}) AS r; COMMIT`,
      );
      const res = (r as unknown as pg.QueryResult[])[1]!.rows[0].r as { cursor: unknown; purged: number };
      if (res.purged < BATCH - 100) throw new Error(`${fn} ${cls}: short batch ${res.purged}`);
      cursor = res.cursor;
    };
  };
  let pc = 0;
  const payloads = [
    await side(url, 'plain', async (c) => {
      const r = await c.query(
        `WITH d AS (DELETE FROM bench_plain_payloads WHERE ctid IN (SELECT ctid FROM bench_plain_payloads
           WHERE stream = 'a' AND seq > $1 AND NOT (case_id = ANY ($3)) ORDER BY stream, seq LIMIT $2) RETURNING seq)
         SELECT max(seq) AS last FROM d`,
        [pc, BATCH, held],
      );
      pc = Number(r.rows[0].last);
    }),
    await side(url, 'old', purgeStep('retention_purge_batch_old', 'ledger_payloads', null)),
    await side(url, 'new', purgeStep('retention_purge_batch', 'ledger_payloads', ['b', 0])),
  ];
  await alternate(payloads, 'ledger payloads');
  let ac = '';
  const apps = [
    await side(url, 'plain', async (c) => {
      const r = await c.query(
        `WITH d AS (DELETE FROM bench_plain_apps WHERE ctid IN (SELECT ctid FROM bench_plain_apps
           WHERE id > $1 AND NOT held ORDER BY id LIMIT $2) RETURNING id) SELECT max(id) AS last FROM d`,
        [ac, BATCH],
      );
      ac = String(r.rows[0].last);
    }),
    await side(url, 'old', purgeStep('retention_purge_batch_old', 'loan_applications', null)),
    await side(url, 'new', purgeStep('retention_purge_batch', 'loan_applications', ['b'])),
  ];
  await alternate(apps, 'loan_applications');
  for (const s of [...payloads, ...apps]) await s.c.end();
  await o.end();
}

async function main() {
  if (!process.env.ONLY15) await withBenchDatabase((url) => runOn(url, 'PostgreSQL 18 (embedded)'));
  const bin = findJitPostgres();
  if (!bin || process.env.ONLY18) return;
  const server = await startJitPostgres(bin);
  try {
    await withBenchDatabase((url) => runOn(url, server.version), server.adminUrl);
  } finally {
    await server.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
