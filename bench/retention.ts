import os from 'node:os';
import { fmt, rate, withBenchDatabase } from './postgres';
import pg from 'pg';
import { backendCpuMs, cpuRatio, interleave, ratios, type SideResult } from './interleave';
import { placeHold } from '../services/retention/holds';
import { syncPolicies } from '../services/retention/policies';
import { purgeBatch } from '../services/retention/purge';
import { closeDatabase, createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { loadConfig } from '../runtime/config';
import { createLedger } from '../ledger/ledger';
import { JIT_POSTGRES_INSTALL, findJitPostgres, startJitPostgres } from './system-postgres';

/**
 * Retention benchmark, one run on one PostgreSQL (DATABASE_URL, else an embedded one in /tmp):
 * N expired ledger payloads, 1% of them under legal holds (100 case holds), purged through the
 * production path (`retention_purge_batch`: policy expiry, hold exclusion, claim with FOR UPDATE
 * SKIP LOCKED, hold re-check under lock, purge records, batch digest) as ledgerflow_purger, next
 * to a plain keyset-batched DELETE of the same 99% of rows from an identical plain table, same
 * batch size, same run. The sides take turns batch by batch (bench/interleave.ts), so load falls
 * on both alike. Reports rows/s, the ratio (whole run and each half: the spread shows the noise),
 * the load average, and the Node process memory (flat: each batch is one transaction, nothing
 * accumulates client-side).
 */
const DEFAULT_SIZE = 100_000;
const SMOKE_SIZE = 5_000;
const BATCH = 5_000;
const HELD_CASES = 100;

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const summary = (r: SideResult) => ({
  rows: r.rows,
  batches: r.batches,
  ms: Math.round(r.ms),
  rowsPerSec: rate(r.rows, r.ms),
});
const line = (r: SideResult) =>
  `${fmt(r.rows)} rows in ${fmt(Math.round(r.ms))} ms = ${fmt(rate(r.rows, r.ms))} rows/s (${r.batches} batches` +
  (r.cpuMs === undefined ? ')' : `; server CPU ${(r.cpuMs / r.batches).toFixed(1)} ms per batch)`);
const cpuNote = (base: SideResult, side: SideResult) => {
  const r = cpuRatio(base, side);
  return r === undefined ? '' : `; server CPU ratio ${r.toFixed(2)}x`;
};

/**
 * CPU readers for the bench's two connections: the owner's backend and the purger pool's (opened
 * here, so the first batch is measured too).
 */
/**
 * Vacuums and analyzes the set-up tables, then checkpoints so the set-up's WAL segments are
 * recycled for the timed run. Without it one batch per run spent ~230 ms in a buffered pwritev
 * (perf; most likely zero-filling a new WAL segment), on either side at random, and that one batch
 * decided a 20-batch run's ratio (PostgreSQL 18 business rows: 0.33x or 1.29x by where it fell).
 */
async function settle(owner: pg.Client, tables: string): Promise<void> {
  await owner.query(`VACUUM ANALYZE ${tables}`);
  await owner.query('CHECKPOINT');
}

async function cpuReaders(owner: pg.Client, purger: ReturnType<typeof createDatabase>) {
  await purger.$client.query('SELECT 1');
  const ownerPid = (await owner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  return {
    owner: async () => backendCpuMs([ownerPid]),
    purger: async () => {
      const r = await owner.query<{ pids: number[] | null }>(
        `SELECT array_agg(pid) AS pids FROM pg_stat_activity
          WHERE datname = current_database() AND usename = 'ledgerflow_purger'`,
      );
      return backendCpuMs(r.rows[0]?.pids ?? []);
    },
  };
}

/**
 * Business class (no ledger guard): N expired loan_applications, 1% under case holds, purged by
 * `retention_purge_batch` (row digests, holds, batch records) vs a plain keyset-batched DELETE of
 * the same rows from an identical copy that carries a precomputed "held" flag.
 */
/** The purge side of a scenario: `retention_purge_batch` through the purge service, batch after batch. */
function purgeSide(
  purger: ReturnType<typeof createDatabase>,
  cpuMs: () => Promise<number | undefined>,
  run: { purgeRunId: string; dataClass: string; asOf: string },
) {
  let cursor: unknown = null;
  return {
    name: 'purge',
    cpuMs,
    step: async () => {
      const r = await purgeBatch(purger, { ...run, limit: BATCH, cursor, viaSetRole: false });
      cursor = r.cursor;
      return { rows: r.purged, done: r.done };
    },
  };
}

async function businessClass(owner: pg.Client, purger: ReturnType<typeof createDatabase>, size: number) {
  const held = Math.floor(size / 100);
  const t0 = performance.now();
  await owner.query(
    `INSERT INTO loan_applications (id, applicant, company_registration_number, amount, currency, term_months, purpose,
       file_digest, submitted_by, created_at, updated_at)
     SELECT 'app-' || lpad(s::text, 9, '0'), jsonb_build_object('name', 'Person ' || s, 'address', repeat('x', 80)),
            'HRB ' || s, 1000 + s % 5000, 'EUR', 12, 'working capital', md5(s::text), 'bench',
            now() - interval '10 days', now() - interval '10 days'
       FROM generate_series(1, $1::int) s`,
    [size],
  );
  // 1% under holds: every 100th application, each held by its own case hold.
  await owner.query(
    `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
     SELECT gen_random_uuid(), 'case', 'app-' || lpad((s * 100)::text, 9, '0'), 'BENCH-APPS', 'bench', 'bench'
       FROM generate_series(1, $1::int) s`,
    [held],
  );
  await owner.query(
    `CREATE TABLE bench_plain_apps (LIKE loan_applications INCLUDING ALL, held boolean NOT NULL DEFAULT false)`,
  );
  await owner.query(
    `INSERT INTO bench_plain_apps SELECT a.*, right(a.id, 2) = '00' FROM loan_applications a`,
  );
  await owner.query(`INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
       legal_minimum_seconds, changed_by, reason)
     VALUES ('bench-apps', 1, '{loan_applications}', 86400, 'P1D', 'created', 'delete', 0, 'bench', 'bench')`);
  await settle(owner, 'loan_applications, bench_plain_apps, legal_holds');
  const setupMs = performance.now() - t0;
  const asOf = (await owner.query('SELECT clock_timestamp() AS t')).rows[0].t.toISOString() as string;

  let cursor = '';
  const cpu = await cpuReaders(owner, purger);
  const sides = await interleave([
    {
      name: 'plain',
      cpuMs: cpu.owner,
      step: async () => {
        const r = await owner.query<{ last: string | null; n: string }>(
          `WITH d AS (
             DELETE FROM bench_plain_apps WHERE ctid IN (
               SELECT ctid FROM bench_plain_apps WHERE id > $1 AND NOT held ORDER BY id LIMIT $2)
             RETURNING id)
           SELECT max(id) AS last, count(*) AS n FROM d`,
          [cursor, BATCH],
        );
        const n = Number(r.rows[0]?.n ?? 0);
        if (n > 0) cursor = String(r.rows[0]?.last);
        return { rows: n, done: n < BATCH };
      },
    },
    purgeSide(purger, cpu.purger, { purgeRunId: 'bench-apps', dataClass: 'loan_applications', asOf }),
  ]);
  const plain = sides.plain!;
  const purge = sides.purge!;
  if (purge.rows !== size - held || plain.rows !== size - held) {
    throw new Error(
      `business bench mismatch: purged ${purge.rows}, plain ${plain.rows}, expected ${size - held}`,
    );
  }
  const ratio = ratios(plain, purge);
  const out = {
    rows: purge.rows,
    held,
    setupMs: Math.round(setupMs),
    purge: summary(purge),
    plainDelete: summary(plain),
    ratio: ratio.all,
    ratioHalves: [ratio.firstHalf, ratio.secondHalf],
    cpuRatio: cpuRatio(plain, purge),
    load: load(),
  };
  console.log(
    `business class loan_applications: ${fmt(size)} expired rows, ${fmt(held)} (1%) under ${fmt(held)} case holds`,
  );
  console.log(`  plain batched DELETE : ${line(plain)}`);
  console.log(`  retention_purge_batch: ${line(purge)}`);
  console.log(
    `  ratio purge/plain: ${out.ratio.toFixed(2)}x (target >= 0.5x; halves ${out.ratioHalves.map((r) => r.toFixed(2)).join(' / ')}; --size ${size}, load ${out.load}${cpuNote(plain, purge)})`,
  );
  return out;
}

/**
 * Runs the suite and prints the figures (the bench/run.ts entry point): on the default server, then
 * again on the system's PostgreSQL with JIT on (Debian's 15), where a plan-cost defect once made
 * every batch pay a JIT compile. With CI=true a missing JIT server fails the run.
 */
export async function run(opts: { size?: number; smoke?: boolean } = {}): Promise<void> {
  await measure(opts);
  const bin = findJitPostgres();
  if (!bin) {
    const msg = `no system PostgreSQL with JIT found for the JIT run; install it: ${JIT_POSTGRES_INSTALL}`;
    if (process.env.CI === 'true') throw new Error(msg);
    console.log(`  (skipped) ${msg}`);
    return;
  }
  const server = await startJitPostgres(bin);
  try {
    console.log(`\n-- the same on ${server.version} with jit = on`);
    await measure({ ...opts, server: server.adminUrl });
  } finally {
    await server.stop();
  }
}

/** Runs the suite and returns the figures (also printed). */
export async function measure(
  opts: { size?: number; smoke?: boolean; server?: string } = {},
): Promise<Record<string, unknown>> {
  const size = opts.size ?? (opts.smoke ? SMOKE_SIZE : DEFAULT_SIZE);
  const config = loadConfig();
  return withBenchDatabase(async (ownerUrl) => {
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const writer = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 4 });
    const purger = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_purger'), { max: 2 });
    try {
      // Data: N events 10 days old with payloads (inserted in SQL; the chain is not under test
      // here), case ids spread over 10 000 cases so 100 held cases cover 1% of the rows.
      const t0 = performance.now();
      await owner.query(
        `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
           resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest,
           prev_hash, hash)
         SELECT st, s, gen_random_uuid(), 'bench.personal_data', 'service', 'bench', now() - interval '10 days',
                'application', 'app-' || s, 'record', 'success', 'subj-' || s, 'case-' || (s % 10000), '{}', 1, 'k' || s,
                sha256(convert_to(s::text, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
           FROM generate_series(1, $1::int) s, unnest(ARRAY['bench', 'guarded']) st`,
        [size],
      );
      await owner.query(
        `INSERT INTO ledger_payloads (stream, seq, salt, payload)
         SELECT st, s, decode(md5(s::text), 'hex'), jsonb_build_object('name', 'Person ' || s, 'address', repeat('x', 120))
           FROM generate_series(1, $1::int) s, unnest(ARRAY['bench', 'guarded']) st`,
        [size],
      );
      // The plain baseline: an identical, unguarded copy of the payloads (+ case id to skip the held 1%).
      await owner.query(
        `CREATE TABLE bench_plain_payloads (LIKE ledger_payloads INCLUDING ALL, case_id text)`,
      );
      await owner.query(
        `INSERT INTO bench_plain_payloads SELECT p.*, e.case_id FROM ledger_payloads p JOIN ledger_events e USING (stream, seq)
          WHERE p.stream = 'bench'`,
      );
      await settle(owner, 'ledger_events, ledger_payloads, bench_plain_payloads');
      const setupMs = performance.now() - t0;

      await owner.query(
        `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('bench', 'bench', '{compliance}', 'bench')`,
      );
      await syncPolicies(
        createLedger(writer),
        {
          legalMinimums: { ledger_payloads: 'P1D' },
          policies: [
            {
              id: 'bench',
              dataClasses: ['ledger_payloads'],
              period: 'P1D',
              trigger: 'created',
              action: 'purge_payload',
              description: 'bench',
            },
          ],
        },
        { changedBy: 'bench', reason: 'bench' },
      );
      const heldCases = Array.from({ length: HELD_CASES }, (_, i) => `case-${i * 100 + 7}`);
      for (const c of heldCases) {
        await placeHold(createLedger(writer), {
          scope: 'case',
          value: c,
          caseId: 'BENCH',
          reason: 'bench',
          placedBy: 'bench',
        });
      }
      const expectedHeld = Number(
        (
          await owner.query(
            `SELECT count(*) AS n FROM ledger_events WHERE stream = 'bench' AND case_id = ANY($1)`,
            [heldCases],
          )
        ).rows[0].n,
      );
      const expectedPurge = size - expectedHeld;
      const asOf = (await owner.query('SELECT clock_timestamp() AS t')).rows[0].t.toISOString() as string;

      // First, alone: a plain batched DELETE on ledger_payloads itself (stream "guarded", rows
      // identical to "bench"): the ledger's guard trigger refuses a payload delete without a purge
      // record, so this is the least any sanctioned payload purge must do (record + guarded
      // delete), without policies or holds. It runs before the purge, which would otherwise purge
      // these rows too (it walks every stream).
      let guardedCursor = 0;
      const guarded = (
        await interleave([
          {
            name: 'guarded',
            step: async () => {
              await owner.query('BEGIN');
              const r = await owner.query<{ seqs: number[] | null }>(
                `WITH k AS (
                 SELECT p.stream, p.seq FROM ledger_payloads p JOIN ledger_events e USING (stream, seq)
                  WHERE p.stream = 'guarded' AND p.seq > $1 AND NOT (e.case_id = ANY ($3)) ORDER BY p.stream, p.seq LIMIT $2),
               i AS (INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason)
                     SELECT stream, seq, 'plain', 'plain' FROM k RETURNING seq)
               SELECT array_agg(seq) AS seqs FROM i`,
                [guardedCursor, BATCH, heldCases],
              );
              const seqs = r.rows[0]?.seqs ?? [];
              if (seqs.length)
                await owner.query(`DELETE FROM ledger_payloads WHERE stream = 'guarded' AND seq = ANY ($1)`, [
                  seqs,
                ]);
              await owner.query('COMMIT');
              if (seqs.length) guardedCursor = Math.max(...seqs);
              return { rows: seqs.length, done: seqs.length < BATCH };
            },
          },
        ])
      ).guarded!;
      // Then, batch by batch in turns: a plain batched DELETE of the same rows (keyset on the
      // primary key, same batch size) and the production purge path.
      let cursor = 0;
      const rss0 = process.memoryUsage().rss;
      let rssPeak = rss0;
      const cpu = await cpuReaders(owner, purger);
      const sides = await interleave(
        [
          {
            name: 'plain',
            cpuMs: cpu.owner,
            step: async () => {
              const r = await owner.query<{ last: string | null; n: string }>(
                `WITH d AS (
                   DELETE FROM bench_plain_payloads WHERE ctid IN (
                     SELECT ctid FROM bench_plain_payloads
                      WHERE stream = 'bench' AND seq > $1 AND NOT (case_id = ANY ($3))
                      ORDER BY stream, seq LIMIT $2)
                   RETURNING seq)
                 SELECT max(seq) AS last, count(*) AS n FROM d`,
                [cursor, BATCH, heldCases],
              );
              const n = Number(r.rows[0]?.n ?? 0);
              if (n > 0) cursor = Number(r.rows[0]?.last);
              return { rows: n, done: n < BATCH };
            },
          },
          purgeSide(purger, cpu.purger, { purgeRunId: 'bench', dataClass: 'ledger_payloads', asOf }),
        ],
        (side) => {
          if (side === 'purge') rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        },
      );
      const plain = sides.plain!;
      const purge = sides.purge!;
      const left = Number(
        (await owner.query(`SELECT count(*) AS n FROM ledger_payloads WHERE stream = 'bench'`)).rows[0].n,
      );
      if (
        purge.rows !== expectedPurge ||
        plain.rows !== expectedPurge ||
        guarded.rows !== expectedPurge ||
        left !== expectedHeld
      ) {
        throw new Error(
          `bench mismatch: purged ${purge.rows}, plain ${plain.rows}, guarded ${guarded.rows}, expected ${expectedPurge}, held left ${left}/${expectedHeld}`,
        );
      }
      const ratio = ratios(plain, purge);
      const result = {
        size,
        held: expectedHeld,
        batch: BATCH,
        setupMs: Math.round(setupMs),
        purge: summary(purge),
        plainDelete: summary(plain),
        guardedPlainDelete: summary(guarded),
        ratio: ratio.all,
        ratioHalves: [ratio.firstHalf, ratio.secondHalf],
        ratioGuarded: ratios(guarded, purge).all,
        cpuRatio: cpuRatio(plain, purge),
        load: load(),
        memory: { rssStart: mb(rss0), rssPeak: mb(rssPeak), rssGrowth: mb(rssPeak - rss0) },
      };
      console.log(
        `retention purge of ${fmt(size)} expired ledger payloads, ${fmt(expectedHeld)} (1%) under ${HELD_CASES} case holds, batch ${fmt(BATCH)}, sides interleaved`,
      );
      console.log(`  setup (insert + copy + analyze): ${fmt(result.setupMs)} ms`);
      console.log(`  plain batched DELETE : ${line(plain)}`);
      console.log(`  retention_purge_batch: ${line(purge)}`);
      console.log(`  plain DELETE on ledger_payloads (+ purge records the guard demands): ${line(guarded)}`);
      console.log(
        `  ratio purge/plain: ${result.ratio.toFixed(2)}x (target >= 0.5x; halves ${result.ratioHalves.map((r) => r.toFixed(2)).join(' / ')}; --size ${size}, load ${result.load}${cpuNote(plain, purge)}); purge/guarded plain: ${result.ratioGuarded.toFixed(2)}x`,
      );
      console.log(
        `  node rss: start ${result.memory.rssStart}, peak ${result.memory.rssPeak} (+${result.memory.rssGrowth})`,
      );
      const business = await businessClass(owner, purger, size);
      return { ...result, business };
    } finally {
      await closeDatabase(writer).catch(() => undefined);
      await closeDatabase(purger).catch(() => undefined);
      await owner.end().catch(() => undefined);
    }
  }, opts.server);
}

if (require.main === module) {
  const size = process.argv[2] ? Number(process.argv[2]) : undefined;
  run({ size }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
