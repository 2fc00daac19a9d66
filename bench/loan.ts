import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { sampleApplication, seedInterimWatchlist } from '../simulators/loan-fixtures';
import { executeWorkflow, workflowRef } from '../contracts/workflow-ref';
import { closeDatabase, createDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { appRoleUrl } from '../db/roles';
import { loadConfig } from '../runtime/config';
import { startEmbeddedPostgres } from '../runtime/embedded-postgres';
import { freePort, startTemporalDevServer } from '../runtime/temporal-server';
import { submitLoanApplication } from '../services/loans/applications';
import { ensurePrincipal } from '../services/principals/principals';
import { startProviders } from '../simulators';
import {
  MAX_CONCURRENT_ACTIVITIES,
  createLedgerflowWorker,
  installRuntimeLogger,
} from '../worker/create-worker';
import { signerFrom } from '../core/signing';
import { createLedger } from '../ledger/ledger';
import type { bareSixActivities } from './bare-workflow';
import { breakdownRows, meter, sumCosts, type PhaseCost } from './loan-breakdown';

const bareWorkflow = workflowRef<typeof bareSixActivities>('bareSixActivities');

/**
 * Loan benchmark: N concurrent applications end to end (submit → decision) through the real
 * loanOrigination workflow (PostgreSQL, ledger, providers at 10 ms latency, history archiving
 * on), next to a bare workflow of the same shape with 6 no-op activities, in the same run on the
 * same Temporal and the same worker settings. Reports applications/s and p50/p99 latency.
 * DATABASE_URL / TEMPORAL_ADDRESS are honoured; otherwise embedded servers in /tmp are used.
 */
const DEFAULT_SIZE = 20;
const SMOKE_SIZE = 5;
/**
 * Blocks of `size` applications per variant, taken in turns ABBA (bare, loan, loan, bare): a
 * burst of load from other processes falls on both variants alike instead of on one ~1 s phase.
 */
const BLOCKS_PER_VARIANT = 2;
/** Warm-up applications of each variant at most: enough to open both PostgreSQL pools. */
const WARM_UP_MAX = 40;

interface Figures {
  variant: string;
  n: number;
  perSecond: number;
  p50: number;
  p99: number;
  wallMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** One block: `n` applications at once; the wall time of the block and each one's latency. */
async function block(
  n: number,
  one: (i: number) => Promise<void>,
): Promise<{ wallMs: number; latencies: number[] }> {
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const s = performance.now();
      await one(i);
      latencies.push(performance.now() - s);
    }),
  );
  return { wallMs: performance.now() - t0, latencies };
}

/** A variant's figures over all its blocks: applications over the summed block wall times. */
function figures(variant: string, blocks: Array<{ wallMs: number; latencies: number[] }>): Figures {
  const latencies = blocks.flatMap((b) => b.latencies).sort((a, b) => a - b);
  const wallMs = blocks.reduce((a, b) => a + b.wallMs, 0);
  return {
    variant,
    n: latencies.length,
    perSecond: latencies.length / (wallMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    wallMs,
  };
}

/** Where a loan's time goes: per activity type, mean queue wait (scheduled→started) and run time (started→completed). */
async function diagnose(client: Client, ids: string[]): Promise<void> {
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    t ? Number(String(t.seconds ?? 0)) * 1000 + (t.nanos ?? 0) / 1e6 : 0;
  const agg = new Map<string, { n: number; wait: number; run: number }>();
  let wft = { n: 0, wait: 0, run: 0 };
  for (const id of ids) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    for (const e of events) {
      const done = e.activityTaskCompletedEventAttributes;
      if (done) {
        const sch = byId.get(Number(done.scheduledEventId));
        const st = byId.get(Number(done.startedEventId));
        const name = sch?.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        const a = agg.get(name) ?? { n: 0, wait: 0, run: 0 };
        a.n++;
        a.wait += ms(st?.eventTime) - ms(sch?.eventTime);
        a.run += ms(e.eventTime) - ms(st?.eventTime);
        agg.set(name, a);
      }
      const wc = e.workflowTaskCompletedEventAttributes;
      if (wc) {
        const sch = byId.get(Number(wc.scheduledEventId));
        const st = byId.get(Number(wc.startedEventId));
        wft = {
          n: wft.n + 1,
          wait: wft.wait + ms(st?.eventTime) - ms(sch?.eventTime),
          run: wft.run + ms(e.eventTime) - ms(st?.eventTime),
        };
      }
    }
  }
  const rows = [...agg.entries(), ['(workflow task)', wft] as const].map(([k, a]) => ({
    step: k,
    'mean queue ms': Math.round(a.wait / a.n),
    'mean run ms': Math.round(a.run / a.n),
  }));
  console.table(rows);
}

/** Waits until `n` workflow histories with ids starting with `prefix` are archived. */
async function waitForArchives(
  db: ReturnType<typeof createDatabase>,
  prefix: string,
  n: number,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await db.$client.query<{ n: string }>(
      'SELECT count(*) AS n FROM workflow_histories WHERE workflow_id LIKE $1',
      [`${prefix}%`],
    );
    if (Number(r.rows[0]?.n ?? 0) >= n || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function run(opts: { size?: number; smoke?: boolean } = {}): Promise<void> {
  const size = opts.smoke ? SMOKE_SIZE : (opts.size ?? DEFAULT_SIZE);
  installRuntimeLogger('ERROR');
  const config = loadConfig();
  const stops: Array<() => Promise<unknown>> = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'lf-bench-loan-'));
  stops.push(async () => rmSync(tmp, { recursive: true, force: true }));
  try {
    let ownerUrl: string;
    if (config.DATABASE_URL) ownerUrl = config.DATABASE_URL;
    else {
      const pgHandle = await startEmbeddedPostgres({
        dir: path.join(tmp, 'pg'),
        port: await freePort(),
        persistent: false,
      });
      stops.unshift(() => pgHandle.stop());
      ownerUrl = pgHandle.ownerUrl;
    }
    await runMigrations(config, ownerUrl);
    let address = config.TEMPORAL_ADDRESS;
    if (!address) {
      const server = await startTemporalDevServer({
        port: await freePort(),
        logFile: path.join(tmp, 'temporal.log'),
        lookup: process.env,
      });
      stops.unshift(() => server.stop());
      address = server.address;
    }
    const providers = await startProviders({ latencyMs: 10 });
    stops.unshift(() => providers.close());
    const db = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), {
      max: MAX_CONCURRENT_ACTIVITIES + 5,
    });
    const clientDb = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 20 });
    stops.unshift(() => closeDatabase(db));
    stops.unshift(() => closeDatabase(clientDb));
    await ensurePrincipal(clientDb, 'bench-operator', ['operator']);
    await seedInterimWatchlist(clientDb);

    const connection = await Connection.connect({ address });
    stops.unshift(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });
    const native = await NativeConnection.connect({ address });
    stops.unshift(() => native.close());
    const tag = randomBytes(3).toString('hex');
    const loanQueue = `bench-loan-${tag}`;
    const bareQueue = `bench-bare-${tag}`;
    const loanWorker = await createLedgerflowWorker({
      connection: native,
      namespace: 'default',
      taskQueue: loanQueue,
      // The loan workflow signs nothing: an ephemeral key stands in for the purge-certificate signer.
      deps: {
        db,
        ledger: createLedger(db),
        providers: providers.urls,
        signer: signerFrom(generateKeyPairSync('ed25519').privateKey),
        pinnedKeys: () => new Map(),
      },
    });
    const bareWorker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue: bareQueue,
      workflowsPath: require.resolve('./bare-workflow'),
      activities: { noop: async (step: string) => step },
      maxConcurrentActivityTaskExecutions: MAX_CONCURRENT_ACTIVITIES,
    });
    const running = [loanWorker.run(), bareWorker.run()];
    stops.unshift(async () => {
      loanWorker.shutdown();
      bareWorker.shutdown();
      await Promise.allSettled(running);
    });

    const bare = (i: number, prefix: string) =>
      executeWorkflow(client, bareWorkflow, {
        taskQueue: bareQueue,
        workflowId: `${prefix}-${tag}-${i}`,
      });
    const loan = async (i: number, prefix: string, archiveHistory = true) => {
      const sub = await submitLoanApplication(
        { db: clientDb, client, taskQueue: loanQueue },
        sampleApplication(`${prefix}-${tag}-${i}`),
        'bench-operator',
        { providerRetry: { initialIntervalMs: 200, maximumIntervalMs: 2_000 }, archiveHistory },
      );
      const r = await sub.handle.result();
      if (r.status !== 'approved') throw new Error(`${sub.applicationId}: ${r.status}`);
    };
    // Warm-up: bundles loaded, JIT warm, connections open. At the measured concurrency (up to
    // the pools' size): three warm-up loans opened 9 of the ~35 connections a burst of 20 uses,
    // so the measured loan phase paid the rest (SCRAM and backend start, ~1.4 per application)
    // where a running worker's pool is already open.
    const warm = Math.min(size, WARM_UP_MAX);
    await Promise.all([
      ...Array.from({ length: warm }, (_, i) => bare(i, 'warm-bare')),
      ...Array.from({ length: warm }, (_, i) => loan(i, 'warm-loan')),
    ]);
    // Their archiving runs after their results: let it finish before the bare phase is measured.
    await waitForArchives(clientDb, `warm-loan-${tag}-`, warm);

    const archive = !process.env.BENCH_LOAN_NO_ARCHIVE;
    const variants = {
      bare: {
        run: bare,
        blocks: [] as Array<{ wallMs: number; latencies: number[] }>,
        costs: [] as PhaseCost[],
      },
      loan: {
        run: (i: number, prefix: string) => loan(i, prefix, archive),
        blocks: [] as Array<{ wallMs: number; latencies: number[] }>,
        costs: [] as PhaseCost[],
      },
    };
    for (let b = 0; b < BLOCKS_PER_VARIANT; b++) {
      for (const name of b % 2 === 0 ? (['bare', 'loan'] as const) : (['loan', 'bare'] as const)) {
        const v = variants[name];
        const m = meter(native.workflowService);
        // The monotonic clock of `node --cpu-prof` samples: to cut a block out of a profile.
        const from = process.hrtime.bigint() / 1000n;
        v.blocks.push(await block(size, (i) => v.run(i, `${name}${b}`)));
        // A loan's archiving runs after its result: it is metered with its block, and done
        // before the next block starts (it would otherwise fall into that block's wall time).
        if (name === 'loan') await waitForArchives(clientDb, `loan${b}-${tag}-`, archive ? size : 0);
        v.costs.push(m.stop());
        if (process.env.BENCH_LOAN_DIAG)
          console.log(
            `${name} block ${b}: ${Math.round(v.blocks[b]!.wallMs)} ms; monotonic µs (cpu-prof clock): ${from}..${process.hrtime.bigint() / 1000n}`,
          );
      }
    }
    const results = [
      figures('bare workflow, 6 no-op activities', variants.bare.blocks),
      figures(
        `loanOrigination (5 activities when the rules decide, PG, ledger, providers 10 ms${archive ? ', batch archiving' : ', archiving off'})`,
        variants.loan.blocks,
      ),
    ];
    const costs = [sumCosts(variants.bare.costs), sumCosts(variants.loan.costs)];
    const counted = costs[1]!;
    const perApp = results[1]!.n;
    const base = results[0]!.perSecond;
    console.log(
      `loan benchmark: ${size} concurrent applications per block, ${BLOCKS_PER_VARIANT} blocks per variant (ABBA); worker activity slots ${MAX_CONCURRENT_ACTIVITIES}; ${os.cpus().length} CPUs`,
    );
    console.table(
      results.map((r) => ({
        variant: r.variant,
        n: r.n,
        'per s': Number(r.perSecond.toFixed(1)),
        'p50 ms': Math.round(r.p50),
        'p99 ms': Math.round(r.p99),
        'wall s': Number((r.wallMs / 1000).toFixed(2)),
        'vs bare': Number((r.perSecond / base).toFixed(2)),
      })),
    );
    if (process.env.BENCH_LOAN_DIAG) {
      for (const prefix of ['bare', 'loan']) {
        console.log(`where the time goes (${prefix}, first 20 workflows):`);
        await diagnose(
          client,
          Array.from({ length: Math.min(size, 20) }, (_, i) => `${prefix}0-${tag}-${i}`),
        );
      }
    }
    console.log(
      'per application (CPU of this process and its children: Temporal dev server, PostgreSQL; summed latencies overlap under concurrency):',
    );
    console.table(
      breakdownRows(
        results.map((r, i) => ({
          variant: i === 0 ? 'bare' : 'loan',
          n: r.n,
          wallMs: r.wallMs,
          cost: costs[i]!,
        })),
      ),
    );
    console.log(
      `PostgreSQL per application (submit, activities, archive; all clients in this process): ${(counted.statements / perApp).toFixed(1)} statements, ${(counted.commits / perApp).toFixed(1)} commit flushes (writes outside a transaction count as one; SELECT f(...) counted as a write)`,
    );
    if (process.env.BENCH_LOAN_DIAG)
      console.table(
        [...counted.byText.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([statement, n]) => ({
            statement,
            'per application': Number((n / perApp).toFixed(1)),
            'mean ms': Number(((counted.msByText.get(statement) ?? 0) / n).toFixed(1)),
          })),
      );
    if (process.env.BENCH_LOAN_DIAG)
      console.table(
        [...counted.rpcByName.entries()].map(([rpc, r]) => ({
          'Temporal RPC (worker connection)': rpc,
          'per application': Number((r.n / perApp).toFixed(1)),
          'mean ms': Number((r.ms / r.n).toFixed(1)),
        })),
      );
    const ratio = results[1]!.perSecond / base;
    console.log(
      `loan throughput = ${ratio.toFixed(2)}x the bare workflow (target >= 0.6x): ${ratio >= 0.6 ? 'met' : 'NOT met'}`,
    );
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--size');
  run({ size: i > 0 ? Number(process.argv[i + 1]) : undefined }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
