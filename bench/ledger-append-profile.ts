import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { signerFrom } from '../core/signing';
import { closeDatabase, createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { MAX_BATCH } from '../ledger/append';
import { DEFAULT_CHECKPOINT_EVERY } from '../ledger/checkpoint';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { benchEvent } from './fixtures/events';
import { PLAIN_INSERT, plainColumns } from './ledger-plain';
import { withBenchDatabase } from './postgres';

/**
 * Profile of bench (a), per 1 000-event batch (scratch tool, not part of the suite): round trips
 * and statements (counted on pg.Client), commits, WAL bytes, full-page images and WAL fsyncs,
 * server CPU (every process of the server) and Node CPU, for the plain INSERT and `appendMany`,
 * each side run alone for `batches` batches after a warm-up.
 * Usage: tsx bench/ledger-append-profile.ts [batches] [plain|ledger|ab <other checkout>]
 */
const batches = Number(process.argv[2] ?? 20);
const only = process.argv[3];

let counting = false;
let tracing = false;
let traceStart = 0;
const trace: Array<[number, number, string]> = [];
const calls = { roundTrips: 0, statements: 0 };
const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    calls.roundTrips += 1;
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
    calls.statements += Math.max(1, text.split(';').filter((s) => s.trim()).length);
  }
  const r = query.apply(this, args);
  if (tracing && r instanceof Promise) {
    const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '');
    const t0 = performance.now() - traceStart;
    void r.then(
      () => trace.push([t0, performance.now() - traceStart, text.replace(/\s+/g, ' ').slice(0, 60)]),
      () => undefined,
    );
  }
  return r;
} as typeof pg.Client.prototype.query;

function serverCpuMs(postmaster: number): number {
  let ns = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== postmaster && Number(d) !== postmaster) continue;
      ns += Number(readFileSync(`/proc/${d}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // process gone
    }
  }
  return ns / 1e6;
}

interface Snap {
  lsn: string;
  fpi: number;
  records: number;
  commits: number;
  walFsyncs: number;
  walWrites: number;
}

async function snap(owner: pg.Client): Promise<Snap> {
  const r = await owner.query<{
    lsn: string;
    fpi: string;
    records: string;
    commits: string;
    fsyncs: string | null;
    writes: string | null;
  }>(`SELECT pg_current_wal_insert_lsn()::text AS lsn, w.wal_fpi::text AS fpi, w.wal_records::text AS records,
            (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::text AS commits,
            (SELECT sum(fsyncs) FROM pg_stat_io WHERE object = 'wal')::text AS fsyncs,
            (SELECT sum(writes) FROM pg_stat_io WHERE object = 'wal')::text AS writes
       FROM pg_stat_wal w`);
  const x = r.rows[0]!;
  return {
    lsn: x.lsn,
    fpi: Number(x.fpi),
    records: Number(x.records),
    commits: Number(x.commits),
    walFsyncs: Number(x.fsyncs ?? 0),
    walWrites: Number(x.writes ?? 0),
  };
}

const lsnBytes = (a: string, b: string) => {
  const n = (s: string) => {
    const [hi, lo] = s.split('/');
    return BigInt(`0x${hi}`) * 0x100000000n + BigInt(`0x${lo}`);
  };
  return Number(n(b) - n(a));
};

// Backends report their statistics at most once a second and when idle for a while: wait for them.
const settle = () => new Promise((r) => setTimeout(r, 11_000));

async function main(): Promise<void> {
  await withBenchDatabase(async (ownerUrl) => {
    const config = loadConfig();
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(`CREATE TABLE bench_plain_events (LIKE ledger_events INCLUDING ALL);
      CREATE TABLE bench_plain_payloads (LIKE ledger_payloads INCLUDING ALL);
      GRANT SELECT, INSERT ON bench_plain_events, bench_plain_payloads TO ledgerflow_writer`);
    const pid = Number((await owner.query('SELECT pg_backend_pid() AS p')).rows[0].p);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const postmaster = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const writer = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 40 });
    const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const ledger = createLedger(writer, { signer, checkpointEvery: DEFAULT_CHECKPOINT_EVERY });
    const plainClient = await writer.$client.connect();
    const keys = (k: number) => Array.from({ length: MAX_BATCH }, (_, j) => `a-${k * MAX_BATCH + j}`);
    const evs = (k: number) => Array.from({ length: MAX_BATCH }, (_, j) => benchEvent(k * MAX_BATCH + j));
    const sides: Record<string, (k: number) => Promise<void>> = {
      plain: async (k) => {
        const cols = plainColumns('bench', evs(k), keys(k), k * MAX_BATCH + 1);
        await plainClient.query('BEGIN');
        await plainClient.query(PLAIN_INSERT, cols);
        await plainClient.query('COMMIT');
      },
      ledger: async (k) => {
        const e = evs(k);
        const ks = keys(k);
        await ledger.appendMany(
          e.map((event, j) => ({ event, idempotencyKey: ks[j]! })),
          { stream: 'bench' },
        );
      },
    };
    if (only === 'ab') {
      // Interleaved A/B: plain, this checkout's ledger and another checkout's (argv[4]), ABBA order.
      const other = (await import(`${process.argv[4]}/ledger/ledger`)) as {
        createLedger: typeof createLedger;
      };
      const base = other.createLedger(writer, { signer, checkpointEvery: DEFAULT_CHECKPOINT_EVERY });
      sides.base = async (k) => {
        const e = evs(k);
        const ks = keys(k).map((x) => `b${x}`);
        await base.appendMany(
          e.map((event, j) => ({ event, idempotencyKey: ks[j]! })),
          { stream: 'base' },
        );
      };
      const names = ['plain', 'base', 'ledger'];
      const acc = Object.fromEntries(names.map((n) => [n, { ms: 0, node: 0, server: 0 }]));
      for (const n of names) await sides[n]!(0);
      for (let k = 1; k <= batches; k++) {
        for (const n of k % 2 ? names : [...names].reverse()) {
          const c0 = serverCpuMs(postmaster);
          const n0 = process.cpuUsage();
          const t0 = performance.now();
          await sides[n]!(k);
          const a = acc[n]!;
          a.ms += performance.now() - t0;
          const nu = process.cpuUsage(n0);
          a.node += (nu.user + nu.system) / 1000;
          a.server += serverCpuMs(postmaster) - c0;
        }
      }
      const plainMs = acc.plain!.ms;
      for (const n of names) {
        const a = acc[n]!;
        console.log(
          `${n.padEnd(7)} ${(a.ms / batches).toFixed(1)} ms/batch, Node CPU ${(a.node / batches).toFixed(1)}, server CPU ${(a.server / batches).toFixed(1)}; plain/this ${(plainMs / a.ms).toFixed(3)}x`,
        );
      }
    }
    for (const [name, step] of Object.entries(sides)) {
      if (only === 'ab') break;
      if (only && name !== only) continue;
      await step(0);
      await settle();
      const s0 = await snap(owner);
      const cpu0 = serverCpuMs(postmaster);
      const node0 = process.cpuUsage();
      calls.roundTrips = 0;
      calls.statements = 0;
      counting = true;
      const t0 = performance.now();
      for (let k = 1; k <= batches; k++) {
        tracing = k === batches;
        traceStart = performance.now();
        await step(k);
        if (tracing) trace.push([0, performance.now() - traceStart, '(batch returned)']);
      }
      tracing = false;
      const ms = performance.now() - t0;
      counting = false;
      const node = process.cpuUsage(node0);
      const cpu = serverCpuMs(postmaster) - cpu0;
      await settle();
      const s1 = await snap(owner);
      const per = (x: number) => (x / batches).toFixed(1);
      console.log(
        `${name.padEnd(7)} per batch: ${per(ms)} ms wall, Node CPU ${per((node.user + node.system) / 1000)} ms, server CPU ${per(cpu)} ms; ` +
          `round trips ${per(calls.roundTrips)}, statements ${per(calls.statements)}, commits ${per(s1.commits - s0.commits - 1)}, ` +
          `WAL ${per(lsnBytes(s0.lsn, s1.lsn) / 1024)} KiB, records ${per(s1.records - s0.records)}, FPI ${per(s1.fpi - s0.fpi)}, ` +
          `WAL writes ${per(s1.walWrites - s0.walWrites)}, fsyncs ${per(s1.walFsyncs - s0.walFsyncs)}`,
      );
    }
    for (const [a, b, t] of trace)
      console.log(`  ${a.toFixed(1).padStart(7)} -> ${b.toFixed(1).padStart(7)} ms  ${t}`);
    plainClient.release();
    await closeDatabase(writer);
    await owner.end();
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
