/**
 * Auditor API latency: `npm run bench -- api [--size N] [--smoke]`. N synthetic events
 * (bench/api/fixture.ts, default 1,000,000) in a fresh database:
 * - per filter, p50/p99 of `GET /v1/events` (in-process: authentication, the search and the
 *   recorded read's commit) next to the same SQL run directly and to the recorded read's append
 *   alone, requests interleaved so load hits all three alike (1 000 each after 50 uncounted);
 * - where the API requests' time goes: phases per request, the slowest 1 % against the medians;
 * - the same under 16 concurrent callers (the read records group-commit);
 * - filtered exports (a sparse and a contiguous filter) in rows/s next to `COPY (same SQL) TO STDOUT`.
 */
import { generateKeyPairSync } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { buildApiServer } from '../api/server';
import { signerFrom } from '../core/signing';
import { parseHead } from '../core/ledger-head';
import { closeDatabase, createDatabase, type Database } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { EventSearchSchema, filterOf } from '../services/events/filter';
import { recordRead } from '../services/events/read-log';
import { exportSql, searchSql, type SqlQuery } from '../services/events/search-sql';
import { createApiKey } from '../services/principals/api-keys';
import { buildEventsFixture, COMMON_FILTERS, exportFilters } from './api/fixture';
import { PhaseRecorder, tailReport, type Phases } from './api/phases';
import { fmt, rate, withBenchDatabase } from './postgres';
import type { BenchOptions } from './run';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const ms = (x: number) => x.toFixed(1);
const load = () =>
  `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`;
const pair = (a: number[]) => `${ms(pct(a, 50))} / ${ms(pct(a, 99))}`.padEnd(16);

async function time(fn: () => Promise<unknown>): Promise<number> {
  const s = performance.now();
  await fn();
  return performance.now() - s;
}

/** Runs `callers` loops of `fn` for `ms` milliseconds; sorted latencies and calls per second. */
async function concurrently(
  callers: number,
  durationMs: number,
  fn: () => Promise<unknown>,
): Promise<{ lat: number[]; perSecond: number }> {
  const lat: number[] = [];
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) lat.push(await time(fn));
    }),
  );
  return { lat: lat.sort((a, b) => a - b), perSecond: rate(lat.length, performance.now() - start) };
}

/** `COPY (q) TO STDOUT` on one client: bytes received. */
async function copyOut(reader: Database, q: SqlQuery): Promise<number> {
  const c = await reader.$client.connect();
  let bytes = 0;
  try {
    const text = q.text.replace(/\$(\d+)/g, (_m, i: string) => {
      const v = q.values[Number(i) - 1];
      return Array.isArray(v) ? c.escapeLiteral(`{${v.join(',')}}`) : c.escapeLiteral(String(v));
    });
    await new Promise<void>((resolve, reject) => {
      const stream = c.query(copyTo(`COPY (${text}) TO STDOUT`));
      stream.on('data', (d: Buffer) => (bytes += d.length));
      stream.on('end', () => resolve());
      stream.on('error', reject);
    });
  } finally {
    c.release();
  }
  return bytes;
}

export async function run(opts: BenchOptions): Promise<void> {
  const config = loadConfig();
  const n = opts.smoke ? 20_000 : (opts.size ?? 1_000_000);
  // 1 000 per side: the p99 is then the 10th slowest, not the 2nd (200 made it a max-like figure).
  const reps = opts.smoke ? 5 : 1000;
  const warmup = opts.smoke ? 1 : 50;
  console.log(`start: ${load()} (${os.cpus().length} cores)`);
  await withBenchDatabase(async (ownerUrl) => {
    let s = performance.now();
    await buildEventsFixture(ownerUrl, n);
    console.log(`fixture: ${fmt(n)} events in ${((performance.now() - s) / 1000).toFixed(1)} s`);
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('bench-auditor', 'Bench', '{auditor}', 'bench'), ('bench-admin', 'Admin', '{admin}', 'bench')`,
    );
    const writer = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'));
    const reader = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_reader'));
    const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const ledger = createLedger(writer, { signer });
    try {
      const key = (
        await createApiKey(ledger, { principalId: 'bench-auditor', role: 'auditor' }, 'bench-admin')
      ).key;
      // Signed first, as the append path's cadence keeps a production ledger: otherwise the
      // access stream's first cadence checkpoint would sign every fixture stream mid-run.
      s = performance.now();
      await ledger.head({ durable: false });
      console.log(`head over ${fmt(n)} events signed in ${((performance.now() - s) / 1000).toFixed(1)} s`);
      // The load's dirty pages written out before measuring: otherwise the checkpointer writes the
      // fresh fixture during the timed phase and every commit flush waits behind it.
      s = performance.now();
      await owner.query('CHECKPOINT');
      console.log(`checkpoint after the load: ${((performance.now() - s) / 1000).toFixed(1)} s`);
      const app = buildApiServer({ reader, writer, ledger, signer });
      const headers = { authorization: `Bearer ${key}` };
      let reads = 0;
      const readAlone = () =>
        recordRead(ledger, {
          principalId: 'bench-auditor',
          action: 'search',
          resource: { type: 'ledger_events', id: 'search' },
          filter: { case_id: 'case-777', order: 'asc', limit: 100, page: 'first' },
          rows: 100,
          request: { requestId: `bench-${++reads}`, source: 'api' },
        });
      const searches = Object.entries(COMMON_FILTERS).map(([name, query]) => {
        const search = EventSearchSchema.parse({ ...query, limit: '100' });
        const q = searchSql(filterOf(search), { order: search.order, limit: 101 });
        const url = `/v1/events?${new URLSearchParams({ ...query, limit: '100' })}`;
        const api = async () => {
          const r = await app.inject({ method: 'GET', url, headers });
          if (r.statusCode !== 200) throw new Error(`${name}: ${r.statusCode} ${r.body}`);
        };
        return { name, api, sql: () => reader.$client.query(q.text, q.values) };
      });
      console.log(
        `\nfilter (page of 100), ${reps} each (after ${warmup})   API p50/p99 ms   SQL p50/p99 ms   read alone       API/SQL p99  (${load()})`,
      );
      const recorder = new PhaseRecorder();
      const phases = new Map<string, Phases[]>();
      for (const f of searches) {
        const api: number[] = [];
        const sql: number[] = [];
        const read: number[] = [];
        const split: Phases[] = [];
        const apiTimed = async () => {
          const p = await recorder.measure(f.api);
          split.push(p);
          return p.total;
        };
        // Interleaved, rotating which goes first: load and caches hit all three alike. The
        // first `warmup` rounds (plans, caches, JIT) are run and not counted, on every side.
        const runs: Array<[() => Promise<number>, number[]]> = [
          [apiTimed, api],
          [() => time(f.sql), sql],
          [() => time(readAlone), read],
        ];
        recorder.clear();
        for (let i = 0; i < warmup + reps; i++)
          for (let k = 0; k < runs.length; k++) {
            const [fn, out] = runs[(i + k) % runs.length] as [() => Promise<number>, number[]];
            const took = await fn();
            if (i >= warmup) out.push(took);
          }
        split.splice(0, warmup);
        await recorder.settleGc(split);
        phases.set(f.name, split);
        for (const a of [api, sql, read]) a.sort((x, y) => x - y);
        console.log(
          `${f.name.padEnd(37)}${pair(api)} ${pair(sql)} ${pair(read)} ${(pct(api, 99) / pct(sql, 99)).toFixed(2)}x`,
        );
      }
      recorder.close();
      console.log(`\nAPI request phases (${load()})\n${tailReport(phases)}`);
      const callers = 16;
      const busy = opts.smoke ? 300 : 3000;
      console.log(
        `\n${callers} concurrent callers, ${busy / 1000} s each    calls/s   p50/p99 ms  (${load()})`,
      );
      for (const f of searches.filter((x) => ['case', 'actor', 'time range'].includes(x.name))) {
        const api = await concurrently(callers, busy, f.api);
        const sql = await concurrently(callers, busy, f.sql);
        console.log(
          `${`${f.name}: API`.padEnd(37)}${String(fmt(api.perSecond)).padEnd(9)} ${pair(api.lat)}  SQL ${String(fmt(sql.perSecond)).padEnd(7)} ${pair(sql.lat)} API/SQL p99 ${(pct(api.lat, 99) / pct(sql.lat, 99)).toFixed(2)}x`,
        );
      }
      await exports(app, headers, reader, n);
      await app.close();
    } finally {
      await owner.end();
      await closeDatabase(writer);
      await closeDatabase(reader);
    }
  });
  console.log(`end: ${load()}`);
}

/** Filtered exports under one signed head vs COPY of the same statement. */
async function exports(
  app: ReturnType<typeof buildApiServer>,
  headers: Record<string, string>,
  reader: Database,
  n: number,
): Promise<void> {
  // The head the export will use: the latest, signed by the access stream's cadence meanwhile.
  const head = (
    await reader.$client.query<{ head: string }>(
      'SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1',
    )
  ).rows[0] as { head: string };
  console.log(`\nexports under head ${parseHead(head.head).version} (${fmt(n)} fixture events)`);
  let s: number;
  const headCut = parseHead(head.head).streams.map((x) => ({ stream: x.stream, treeSize: x.treeSize }));
  for (const [name, filter] of Object.entries(exportFilters(n))) {
    s = performance.now();
    const res = await app.inject({
      method: 'GET',
      url: `/v1/exports/events?${new URLSearchParams({ ...filter, max_rows: '1000000' })}`,
      headers,
    });
    const exportMs = performance.now() - s;
    if (res.statusCode !== 200) throw new Error(`export ${name}: ${res.statusCode} ${res.body}`);
    const rows = Number(res.headers['x-ledgerflow-count']);
    const q = exportSql(filterOf(EventSearchSchema.parse(filter)), {
      order: 'asc',
      limit: 1_000_000,
      headCut,
    });
    s = performance.now();
    const bytes = await copyOut(reader, q);
    const copyMs = performance.now() - s;
    console.log(
      `export ${name}: ${fmt(rows)} events with proofs ${fmt(rate(rows, exportMs))} rows/s (${fmt(res.rawPayload.length)} bytes); COPY of the same rows ${fmt(rate(rows, copyMs))} rows/s (${fmt(bytes)} bytes); ${(copyMs / exportMs).toFixed(3)}x  (${load()})`,
    );
  }
}
