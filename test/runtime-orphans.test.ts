import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../runtime/temporal-server';

const bin = path.join(__dirname, '..', 'bin', 'ledgerflow.cjs');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-orphans-'));
const children: ChildProcess[] = [];
let ports: { pg: number; temporal: number; ui: number };

afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGINT');
  await Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
  // A server that is still flushing its last files may race the removal: retry, never fail the run on it.
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts `ledgerflow dev` on this file's data dir and ports; resolves once it says it is running. */
async function startDev(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'dev'], {
    env: {
      ...process.env,
      DATABASE_URL: undefined,
      TEMPORAL_ADDRESS: undefined,
      LEDGERFLOW_DATA_DIR: dataDir,
      LEDGERFLOW_PG_PORT: String(ports.pg),
      LEDGERFLOW_TEMPORAL_PORT: String(ports.temporal),
      LEDGERFLOW_TEMPORAL_UI_PORT: String(ports.ui),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await until(
    'ledgerflow dev to start',
    () => {
      if (child.exitCode !== null) throw new Error(`dev exited ${child.exitCode}: ${out}`);
      return out.includes('ledgerflow dev is running');
    },
    120_000,
  );
  return { child, output: () => out };
}

/** Ctrl-C: dev stops its worker and servers and exits (130, as for any Ctrl-C'd program), leaving nothing on the ports. */
async function stopDev(child: ChildProcess): Promise<void> {
  child.kill('SIGINT');
  await until('dev to stop', () => child.exitCode !== null, 60_000);
  expect([0, 130]).toContain(child.exitCode);
  expect(await answers(ports.pg)).toBe(false);
  expect(await answers(ports.temporal)).toBe(false);
}

const serverPid = (file: string): number => (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;

/** The watchdog processes of this data dir's servers (detached helpers of the dev process). */
function killWatchdogs(pids: number[]): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmd.includes('runtime/watchdog.ts') && pids.some((p) => cmd.includes(` ${p} `)))
      process.kill(Number(entry), 'SIGKILL');
  }
}

describe('embedded servers are owned by the process that started them', () => {
  it('kill -9 of `ledgerflow dev` stops its PostgreSQL and Temporal; the next dev starts cleanly', async () => {
    ports = { pg: await freePort(), temporal: await freePort(), ui: await freePort() };
    const first = await startDev();
    expect(await answers(ports.pg)).toBe(true);
    expect(await answers(ports.temporal)).toBe(true);
    first.child.kill('SIGKILL');
    await until(
      'the orphaned servers to stop',
      async () => !(await answers(ports.pg)) && !(await answers(ports.temporal)),
      30_000,
    );

    const second = await startDev();
    expect(second.output()).not.toMatch(/Is another server using the port/);
    await stopDev(second.child);
  }, 240_000);

  it('a server orphaned without its watchdog is detected and stopped by the next start, with a message', async () => {
    const first = await startDev();
    const pgPid = serverPid(path.join(dataDir, 'pg.server.json'));
    const temporalPid = serverPid(path.join(dataDir, 'temporal.db.server.json'));
    killWatchdogs([pgPid, temporalPid]);
    first.child.kill('SIGKILL');
    await until('dev to die', () => first.child.exitCode !== null || first.child.signalCode !== null);
    expect(await answers(ports.pg)).toBe(true); // orphaned: nothing stopped it

    const second = await startDev();
    expect(second.output()).toMatch(
      /stopping PostgreSQL of .* left running by an earlier process \(pid \d+\)/,
    );
    expect(second.output()).toMatch(
      /stopping the Temporal dev server of .* left running by an earlier process/,
    );
    await stopDev(second.child);
  }, 240_000);
});
