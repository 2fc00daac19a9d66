/**
 * CLI start-up: `npm run bench -- cli [--size N] [--smoke]`. Wall time (median of N runs,
 * interleaved so machine load hits every line alike) of `ledgerflow --help` through the bin
 * (compiled dist/; it refuses a stale one) and through tsx (LEDGERFLOW_TSX=1), every command
 * group's `--help`, an unreachable Temporal / PostgreSQL, and `events list` when `ledgerflow
 * dev` runs, each next to a bare `node -e 0` of the same run (target <= 5x).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../runtime/config';
import { readDevState } from '../runtime/environment';
import type { BenchOptions } from './run';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'ledgerflow.cjs');
const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bench-cli-')), 'probe.cjs');
writeFileSync(
  probe,
  `process.on('exit', () => process.stderr.write('PROBE ' + (Object.keys(require.cache).some((f) => /[\\\\/]node_modules[\\\\/]tsx[\\\\/]/.test(f)) ? 'tsx' : 'compiled') + '\\n'));`,
);

interface Case {
  label: string;
  args: string[];
  env?: Record<string, string | undefined>;
  /** Expected exit code (a case that exits otherwise is reported, not timed silently). */
  code?: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

function once(c: Case): { ms: number; ran: string; code: number | null; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(c.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const started = performance.now();
  const r = spawnSync(process.execPath, c.args, { cwd: root, env, encoding: 'utf8' });
  const ms = performance.now() - started;
  return { ms, ran: /PROBE (\w+)/.exec(r.stderr)?.[1] ?? '', code: r.status, stderr: r.stderr };
}

/** The command groups `ledgerflow --help` lists (bench may not import the CLI's manifest). */
function commandGroups(): string[] {
  const help = spawnSync(process.execPath, [bin, '--help'], { cwd: root, encoding: 'utf8' }).stdout;
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]!).filter((n) => n !== 'help');
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export async function run(opts: BenchOptions): Promise<void> {
  const runs = opts.smoke ? 2 : (opts.size ?? 7);
  // A TCP listener that is not PostgreSQL: the reachability probe passes, so the Temporal line
  // measures Temporal's own "unreachable" path.
  const fakePg: Server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => fakePg.listen(0, '127.0.0.1', resolve));
  const fakePgPort = (fakePg.address() as { port: number }).port;
  const closed = await closedPort();
  const viaBin = (args: string[]) => ['--require', probe, bin, ...args];
  const cases: Case[] = [
    { label: 'node -e 0', args: ['-e', '0'] },
    { label: 'ledgerflow --help (bin)', args: viaBin(['--help']) },
    { label: 'ledgerflow --help (tsx)', args: viaBin(['--help']), env: { LEDGERFLOW_TSX: '1' } },
    ...commandGroups().map((name) => ({
      label: `ledgerflow ${name} --help (bin)`,
      args: viaBin([name, '--help']),
    })),
    {
      label: 'loan status, TEMPORAL_ADDRESS closed',
      args: viaBin(['loan', 'status', 'APP-1']),
      env: {
        TEMPORAL_ADDRESS: `127.0.0.1:${closed}`,
        DATABASE_URL: `postgres://bench:bench@127.0.0.1:${fakePgPort}/bench`,
      },
      code: 2,
    },
    {
      label: 'events list, DATABASE_URL closed',
      args: viaBin(['events', 'list']),
      env: { DATABASE_URL: `postgres://bench:bench@127.0.0.1:${closed}/bench` },
      code: 2,
    },
  ];
  const config = loadConfig();
  const dev = readDevState(config);
  if (dev)
    cases.push({
      label: `events list (ledgerflow dev pid ${dev.pid})`,
      args: viaBin(['events', 'list', '--limit', '20']),
      // The bootstrap admin "dev" creates (events list is an authorized, recorded read).
      env: {
        DATABASE_URL: undefined,
        TEMPORAL_ADDRESS: undefined,
        LEDGERFLOW_PRINCIPAL: process.env.LEDGERFLOW_PRINCIPAL ?? 'admin',
      },
      code: 0,
    });
  const times = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  const ran = new Map<string, string>();
  try {
    for (let i = 0; i < runs; i++)
      for (const c of cases) {
        const r = once(c);
        if ((c.code ?? 0) !== r.code)
          throw new Error(
            `${c.label}: exit ${r.code}, expected ${c.code ?? 0}: ${r.stderr.trim().split('\n')[0]}`,
          );
        times.get(c.label)!.push(r.ms);
        if (r.ran) ran.set(c.label, r.ran);
      }
  } finally {
    await new Promise((resolve) => fakePg.close(resolve));
  }
  const base = median(times.get('node -e 0')!);
  console.log(`median wall time of ${runs} runs each, interleaved; ratio to node -e 0 (target <= 5x)`);
  for (const c of cases) {
    const ms = median(times.get(c.label)!);
    const how = ran.get(c.label) ? ` [${ran.get(c.label)}]` : '';
    console.log(
      `${c.label.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms  ${(ms / base).toFixed(1).padStart(5)}x${how}`,
    );
  }
  if (!dev) console.log('events list with dev running: skipped (start "ledgerflow dev" first)');
}
