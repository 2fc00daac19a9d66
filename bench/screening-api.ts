/**
 * Real-time screening API latency: `npm run bench -- screening-api [--size N]`. One run on one
 * PostgreSQL (DATABASE_URL, else an embedded one): the OFAC SDN fixture loaded, a fastify
 * instance with `POST /v1/screen` (api/routes/screen.ts, API-key authentication as its
 * pre-handler) and `GET /health`, listening on a local port; 32 concurrent clients send N
 * requests to each route. Every screen call stores its result and appends a ledger event.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { buildApiServer } from '../api/server';
import { closeDatabase, createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { createApiKey } from '../services/principals/api-keys';
import { createScreeningService } from '../services/screening';
import { withBenchDatabase } from './postgres';
import type { BenchOptions } from './run';
import { unOriginalScriptNames } from './screening-cross-script';

const CLIENTS = 32;

const NM = path.join(__dirname, '..', 'test', 'fixtures', 'name-matching');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Sends `n` requests from `CLIENTS` concurrent loops; per-request latencies in ms, sorted. */
async function load(
  n: number,
  send: (i: number) => Promise<Response>,
  clients = CLIENTS,
): Promise<{ times: number[]; failed: number }> {
  const times: number[] = [];
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < n) {
        const i = next++;
        const s = performance.now();
        const res = await send(i);
        await res.arrayBuffer();
        times.push(performance.now() - s);
        if (!res.ok) failed++;
      }
    }),
  );
  return { times: times.sort((a, b) => a - b), failed };
}

export async function run(opts: BenchOptions): Promise<void> {
  const config = loadConfig();
  const n = opts.smoke ? 64 : (opts.size ?? 1000);
  await withBenchDatabase(async (ownerUrl) => {
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('bench-op', 'Bench operator', '{operator}', 'bench'), ('bench-admin', 'Bench admin', '{admin}', 'bench')`,
    );
    await owner.end();
    const writer = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 8 });
    const reader = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_reader'), { max: 4 });
    const ledger = createLedger(writer);
    // The production API server: its authorization, its routes.
    const app = buildApiServer({ reader, writer, ledger });
    try {
      const key = (await createApiKey(ledger, { principalId: 'bench-op', role: 'operator' }, 'bench-admin'))
        .key;
      const screening = createScreeningService({ db: writer, ledger });
      await screening.loadList({
        path: path.join(__dirname, '..', 'test', 'fixtures', 'sanctions', 'ofac-sdn-2021'),
      });
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      const typos = parse(readFileSync(path.join(NM, 'positives_un_with_typos.csv')), {
        columns: true,
      }) as Array<Record<string, string>>;
      const arabic = unOriginalScriptNames().map((o) => o.name);
      const names = Array.from({ length: n }, (_, i) =>
        i % 2 === 0 ? arabic[i % arabic.length]! : (typos[i % typos.length]!.full_name ?? 'x'),
      );
      const body = (i: number) => JSON.stringify({ name: names[i] });
      const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      // Warm-up: the first screen builds the index over the active list.
      await (await fetch(`${address}/v1/screen`, { method: 'POST', headers, body: body(0) })).arrayBuffer();
      const health = await load(n, () => fetch(`${address}/health`));
      const screen = await load(n, (i) =>
        fetch(`${address}/v1/screen`, { method: 'POST', headers, body: body(i) }),
      );
      const serial = await load(
        Math.min(n, 100),
        (i) => fetch(`${address}/v1/screen`, { method: 'POST', headers, body: body(i) }),
        1,
      );
      const f = (x: number) => x.toFixed(2);
      console.log(
        `OFAC SDN loaded; ${CLIENTS} concurrent clients, ${n} requests per route (screen: half Arabic-script UN names, half typo'd UN names; each stored and recorded in the ledger)`,
      );
      console.log(
        `  GET /health      p50 ${f(percentile(health.times, 50))} ms  p99 ${f(percentile(health.times, 99))} ms  (${health.failed} failed)`,
      );
      console.log(
        `  POST /v1/screen  p50 ${f(percentile(screen.times, 50))} ms  p99 ${f(percentile(screen.times, 99))} ms  (${screen.failed} failed)`,
      );
      console.log(
        `  POST /v1/screen, one client (${serial.times.length} requests): p50 ${f(percentile(serial.times, 50))} ms  p99 ${f(percentile(serial.times, 99))} ms`,
      );
    } finally {
      await app.close();
      await closeDatabase(writer);
      await closeDatabase(reader);
    }
  });
}
