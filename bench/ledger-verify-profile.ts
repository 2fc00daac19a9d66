import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { signerFrom } from '../core/signing';
import { closeDatabase, createDatabase, type Database } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { MAX_BATCH } from '../ledger/append';
import { DEFAULT_CHECKPOINT_EVERY } from '../ledger/checkpoint';
import { createLedger } from '../ledger/ledger';
import { copyChunks, copyRowsSql } from '../ledger/copy-rows';
import { verifyLedger } from '../ledger/verify';
import { loadConfig } from '../runtime/config';
import { benchEvent } from './fixtures/events';
import { withBenchDatabase } from './postgres';

/**
 * Profile of bench (c') (scratch tool, not part of the suite): CPU per event by thread (this
 * process's threads from /proc/self/task/<tid>/schedstat: on-CPU and run-queue wait), the
 * server's CPU (every process of the cluster) and wall time, for the unchecked COPY read (the
 * bound) and `verifyLedger`, alternated `rounds` times on one ledger of `size` events.
 * Usage: tsx bench/ledger-verify-profile.ts [size] [rounds] [variant...]
 * A variant is `read`, `verify`, `verify:<workers>`, or `<label>=<checkout dir>` / `<label>=<checkout dir>:<workers>`
 * (verifyLedger and copyChunks imported from that checkout's dist/).
 */
const size = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const variants = process.argv.slice(4).length > 0 ? process.argv.slice(4) : ['read', 'verify'];

interface ThreadTimes {
  cpu: number;
  wait: number;
  name: string;
}

function threads(): Map<string, ThreadTimes> {
  const out = new Map<string, ThreadTimes>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const [cpu, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(tid, { cpu: (cpu as number) / 1e3, wait: (wait as number) / 1e3, name });
    } catch {
      // thread gone
    }
  }
  return out;
}

function serverTimes(postmaster: number): { cpu: number; wait: number } {
  let cpu = 0;
  let wait = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== postmaster && Number(d) !== postmaster) continue;
      const [c, w] = readFileSync(`/proc/${d}/schedstat`, 'utf8').split(' ').map(Number);
      cpu += (c as number) / 1e3;
      wait += (w as number) / 1e3;
    } catch {
      // process gone
    }
  }
  return { cpu, wait };
}

type VerifyFn = (db: Database, o: Record<string, unknown>) => Promise<{ valid: boolean; fault: unknown }>;
type ChunksFn = (
  db: Database,
  stream: string,
  after: number,
  chunkBytes?: number,
  spare?: Buffer[],
) => AsyncGenerator<{ rows: number; buf: Buffer }>;

function load(dir: string): { verifyLedger: VerifyFn; copyChunks: ChunksFn } {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const v = require(path.join(dir, 'dist/ledger/verify.js')) as { verifyLedger: VerifyFn };
  const c = require(path.join(dir, 'dist/ledger/copy-rows.js')) as { copyChunks: ChunksFn };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { verifyLedger: v.verifyLedger, copyChunks: c.copyChunks };
}

async function main(): Promise<void> {
  const config = loadConfig();
  await withBenchDatabase(async (ownerUrl) => {
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    const dataDir = (await owner.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory']))
      .rows[0]?.d as string;
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const writer = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 4 });
    const reader = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_reader'), { max: 4 });
    const ledger = createLedger(writer, { signer, checkpointEvery: DEFAULT_CHECKPOINT_EVERY });
    const stream = 'bench';
    try {
      for (let k = 0; k * MAX_BATCH < size; k++) {
        const n = Math.min(MAX_BATCH, size - k * MAX_BATCH);
        await ledger.appendMany(
          Array.from({ length: n }, (_, j) => ({
            event: benchEvent(k * MAX_BATCH + j),
            idempotencyKey: `a-${k * MAX_BATCH + j}`,
          })),
          { stream },
        );
      }
      // As bench/ledger.ts leaves it: two more streams appended after the verified one (heads list all three).
      for (const other of process.env.PROFILE_OTHER_STREAMS === '1' ? ['group', 'concurrent'] : [])
        for (let k = 0; k * MAX_BATCH < size; k++) {
          const n = Math.min(MAX_BATCH, size - k * MAX_BATCH);
          await ledger.appendMany(
            Array.from({ length: n }, (_, j) => ({
              event: benchEvent(1e6 + k * MAX_BATCH + j),
              idempotencyKey: `${other}-${k * MAX_BATCH + j}`,
            })),
            { stream: other },
          );
        }
      await ledger.checkpoint({ stream });
      console.log(
        (
          await owner.query(
            'SELECT (SELECT count(*) FROM ledger_heads) AS heads, (SELECT count(*) FROM ledger_checkpoints) AS cps',
          )
        ).rows[0],
      );
      if (process.env.PROFILE_NO_VACUUM !== '1')
        for (const q of ['VACUUM ANALYZE ledger_events', 'VACUUM ANALYZE ledger_payloads', 'CHECKPOINT'])
          await owner.query(q);
      const keys = new Map([[signer.keyId, signer]]);
      if (process.env.PROFILE_EXPLAIN === '1') {
        const sql = copyRowsSql(`'${stream}'`, 0)
          .replace(/^COPY \(/, '')
          .replace(/\) TO STDOUT$/, '');
        for (const set of ['', process.env.PROFILE_EXPLAIN_SET ?? ''])
          console.log(
            await owner.query(`SET enable_sort = DEFAULT; ${set}`).then(() => '---- ' + set),
            (await owner.query(`EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) ${sql}`)).rows
              .map((r: Record<string, string>) => r['QUERY PLAN'])
              .join('\n'),
          );
      }
      // From the sources, as bench/ledger.ts runs (dist/'s copy reader would not see db/'s socket class).
      const own = {
        verifyLedger: verifyLedger as unknown as VerifyFn,
        copyChunks: copyChunks as unknown as ChunksFn,
      };
      const run = async (variant: string): Promise<void> => {
        const [label, spec] = variant.includes('=')
          ? (variant.split('=') as [string, string])
          : [variant, ''];
        const [dir, w] = spec ? spec.split(':') : ['', label.split(':')[1]];
        const impl = dir ? load(dir) : own;
        const workers = w === undefined || w === '' ? undefined : Number(w);
        if (label.endsWith('read')) {
          let n = 0;
          const spare: Buffer[] = [];
          for await (const c of impl.copyChunks(reader, stream, 0, undefined, spare)) {
            n += c.rows;
            spare.push(Buffer.from(c.buf.buffer));
          }
          if (n !== size) throw new Error(`read ${n} rows`);
          return;
        }
        if (label.endsWith('trace')) return traceOnce(impl, dir ?? '', workers);
        const r = await impl.verifyLedger(reader, { stream, trustedKeys: keys, workers });
        if (!r.valid) throw new Error(`does not verify: ${String(r.fault)}`);
      };
      // One verification with a timeline: queries, chunks handed to workers and back.
      const traceOnce = async (
        impl: ReturnType<typeof load>,
        dir: string,
        workers?: number,
      ): Promise<void> => {
        /* eslint-disable @typescript-eslint/no-require-imports */
        const poolMod = require(
          path.join(dir || path.join(__dirname, '..'), 'dist/ledger/verify-pool.js'),
        ) as {
          verifyPool(n: number): { check: (...a: unknown[]) => Promise<unknown> };
        };
        /* eslint-enable @typescript-eslint/no-require-imports */
        const pool = poolMod.verifyPool(workers ?? 2);
        const orig = pool.check.bind(pool);
        const t0 = performance.now();
        const ev: string[] = [];
        const at = () => (performance.now() - t0).toFixed(1);
        let k = 0;
        pool.check = async (...a: unknown[]) => {
          const i = k++;
          ev.push(`${at()} send ${i}`);
          const r = await orig(...a);
          ev.push(`${at()} back ${i}`);
          return r;
        };
        const q = pg.Client.prototype.query as (...a: unknown[]) => unknown;
        pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
          const text = typeof a[0] === 'string' ? a[0] : ((a[0] as { text?: string })?.text ?? 'copy');
          const t = at();
          const r = q.apply(this, a);
          if (r instanceof Promise)
            void r.then(
              () => ev.push(`${t}-${at()} ${text.replace(/\s+/g, ' ').slice(0, 50)}`),
              () => undefined,
            );
          else ev.push(`${t} submit ${text.replace(/\s+/g, ' ').slice(0, 30)}`);
          return r;
        } as typeof pg.Client.prototype.query;
        try {
          const r = await impl.verifyLedger(reader, { stream, trustedKeys: keys, workers });
          if (!r.valid) throw new Error('does not verify');
        } finally {
          pg.Client.prototype.query = q as typeof pg.Client.prototype.query;
          pool.check = orig;
        }
        console.log(`${at()} end\n${ev.join('\n')}`);
      };
      // Warm every variant (worker pools, JIT, caches) before measuring.
      for (const v of variants) for (let i = 0; i < 3; i++) await run(v.replace(/^nice\d+:?/, ''));
      // The verification workers: the busiest threads but this one (for `nice<N>:<variant>`).
      const workerTids = [...threads().entries()]
        .filter(([tid]) => tid !== String(process.pid))
        .sort((a, b) => b[1].cpu - a[1].cpu)
        .slice(0, Number(process.env.PROFILE_WORKERS ?? 2))
        .map(([tid]) => Number(tid));
      const renice = (n: number) => {
        for (const tid of workerTids) os.setPriority(tid, n);
      };
      const rows: Record<string, string[]> = {};
      for (let round = 0; round < rounds; round++) {
        for (const v of variants) {
          const t0 = threads();
          const s0 = serverTimes(postmaster);
          const w0 = performance.now();
          const nice = /^nice(\d+):?/.exec(v);
          renice(nice ? Number(nice[1]) : 0);
          await run(v.replace(/^nice\d+:?/, ''));
          renice(0);
          const wall = (performance.now() - w0) * 1e3;
          const s1 = serverTimes(postmaster);
          const t1 = threads();
          let main = 0;
          let mainWait = 0;
          let rest = 0;
          let restWait = 0;
          const big: string[] = [];
          for (const [tid, b] of t1) {
            const a = t0.get(tid) ?? { cpu: 0, wait: 0 };
            const cpu = b.cpu - a.cpu;
            const wait = b.wait - a.wait;
            if (tid === String(process.pid)) {
              main = cpu;
              mainWait = wait;
            } else {
              rest += cpu;
              restWait += wait;
              if (cpu / size > 0.3) big.push(`${b.name}:${(cpu / size).toFixed(2)}`);
            }
          }
          const pgCpu = s1.cpu - s0.cpu;
          const e = (x: number) => (x / size).toFixed(2);
          const line = `wall ${e(wall)} | node ${e(main + rest)} main ${e(main)} (rq ${e(mainWait)}) others ${e(rest)} (rq ${e(restWait)}) [${big.join(' ')}] | pg ${e(pgCpu)} (rq ${e(s1.wait - s0.wait)}) | busy ${((main + rest + pgCpu) / wall).toFixed(2)} cores`;
          (rows[v] ??= []).push(line);
          console.log(`${v.padEnd(12)} ${line}`);
        }
      }
    } finally {
      await owner.end();
      await closeDatabase(writer);
      await closeDatabase(reader);
    }
  });
}

void main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
