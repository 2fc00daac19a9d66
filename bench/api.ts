/**
 * Auditor API latency: `npm run bench -- api [--size N] [--smoke]`. N synthetic events
 * (bench/api/fixture.ts, default 1,000,000) in a fresh database; p50/p99 of the common filters
 * and a full-text search through `GET /v1/events` (in-process, authentication and the recorded
 * read included) next to the same SQL run directly; then a filtered export's rows/s next to
 * `COPY (same SQL) TO STDOUT`.
 */
import { generateKeyPairSync } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { buildApiServer } from '../api/server';
import { signerFrom } from '../core/signing';
import { closeDatabase, createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { EventSearchSchema, filterOf } from '../services/events/filter';
import { searchSql } from '../services/events/search-sql';
import { createApiKey } from '../services/principals/api-keys';
import { buildEventsFixture, COMMON_FILTERS } from './api/fixture';
import { fmt, rate, withBenchDatabase } from './postgres';
import type { BenchOptions } from './run';

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const ms = (x: number) => x.toFixed(1);

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    out.push(performance.now() - s);
  }
  return out.sort((a, b) => a - b);
}

export async function run(opts: BenchOptions): Promise<void> {
  const config = loadConfig();
  const n = opts.smoke ? 20_000 : (opts.size ?? 1_000_000);
  const reps = opts.smoke ? 5 : 50;
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
      const app = buildApiServer({ reader, writer, ledger, signer });
      const headers = { authorization: `Bearer ${key}` };
      console.log(`filter (page of 100)      API p50/p99 ms   SQL p50/p99 ms   API/SQL p99`);
      for (const [name, query] of Object.entries(COMMON_FILTERS)) {
        const search = EventSearchSchema.parse({ ...query, limit: '100' });
        const q = searchSql(filterOf(search), { order: search.order, limit: 101 });
        const url = `/v1/events?${new URLSearchParams({ ...query, limit: '100' })}`;
        const first = await app.inject({ method: 'GET', url, headers });
        if (first.statusCode !== 200) throw new Error(`${name}: ${first.statusCode} ${first.body}`);
        const api = await timed(reps, () => app.inject({ method: 'GET', url, headers }));
        const sql = await timed(reps, () => reader.$client.query(q.text, q.values));
        console.log(
          `${name.padEnd(26)} ${`${ms(pct(api, 50))} / ${ms(pct(api, 99))}`.padEnd(16)} ${`${ms(pct(sql, 50))} / ${ms(pct(sql, 99))}`.padEnd(16)} ${(pct(api, 99) / pct(sql, 99)).toFixed(2)}x`,
        );
      }
      // Exports: one event type (n/50 events) under a signed head, vs COPY of the same rows.
      s = performance.now();
      await ledger.head({ durable: false });
      console.log(`head over ${fmt(n)} events signed in ${((performance.now() - s) / 1000).toFixed(1)} s`);
      const filter = { event_type: 'bench.type_7' };
      s = performance.now();
      const res = await app.inject({
        method: 'GET',
        url: `/v1/exports/events?${new URLSearchParams({ ...filter, max_rows: '1000000' })}`,
        headers,
      });
      const exportMs = performance.now() - s;
      const rows = Number(res.headers['x-ledgerflow-count']);
      const q = searchSql(filterOf(EventSearchSchema.parse(filter)), { order: 'asc', limit: 1_000_000 });
      const c = await reader.$client.connect();
      s = performance.now();
      let bytes = 0;
      try {
        const text = q.text.replace(/\$(\d+)/g, (_m, i: string) =>
          c.escapeLiteral(String(q.values[Number(i) - 1])),
        );
        await new Promise<void>((resolve, reject) => {
          const stream = c.query(copyTo(`COPY (${text}) TO STDOUT`));
          stream.on('data', (d: Buffer) => (bytes += d.length));
          stream.on('end', () => resolve());
          stream.on('error', reject);
        });
      } finally {
        c.release();
      }
      const copyMs = performance.now() - s;
      console.log(
        `export ${fmt(rows)} events with proofs: ${fmt(rate(rows, exportMs))} rows/s (${fmt(res.rawPayload.length)} bytes); COPY of the same rows: ${fmt(rate(rows, copyMs))} rows/s (${fmt(bytes)} bytes); ${(copyMs / exportMs).toFixed(3)}x`,
      );
      await app.close();
    } finally {
      await owner.end();
      await closeDatabase(writer);
      await closeDatabase(reader);
    }
  });
}
