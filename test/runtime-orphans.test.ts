import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRunning } from '../runtime/processes';
import { freePort } from '../runtime/temporal-server';

const bin = path.join(__dirname, '..', 'bin', 'ledgerflow.cjs');
const root = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-orphans-'));
chmodSync(root, 0o755); // the postgres OS user (when run as root) must reach the data dirs below
let dataDir = root;
const orphans: Array<[number, string]> = [];
const children: ChildProcess[] = [];
let ports: { pg: number; temporal: number; ui: number; nats: number };

afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGINT');
  await Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
  // A server that is still flushing its last files may race the removal: retry, never fail the run on it.
  for (const [pid, name] of orphans) if (isRunning(pid, name)) process.kill(pid, 'SIGKILL');
  rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
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

/** The environment of this test's commands: its data dir and ports, no external servers. */
function devEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LEDGERFLOW_DATA_DIR: dataDir,
    LEDGERFLOW_PG_PORT: String(ports.pg),
    LEDGERFLOW_TEMPORAL_PORT: String(ports.temporal),
    LEDGERFLOW_TEMPORAL_UI_PORT: String(ports.ui),
    // The admin the first `dev` adds: reads act as a principal too.
    LEDGERFLOW_PRINCIPAL: 'admin',
    LEDGERFLOW_NATS_PORT: String(ports.nats),
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  delete env.NATS_URL;
  return env;
}

/** Starts `ledgerflow dev` on this file's data dir and ports; resolves once it says it is running. */
async function startDev(): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [bin, 'dev'], {
    env: devEnv(),
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

/** The pids of this data dir's running servers, from the records their owner wrote. */
function serverProcesses(): Array<[number, string]> {
  return [
    [serverPid(path.join(dataDir, 'pg.server.json')), 'postgres'],
    [serverPid(path.join(dataDir, 'temporal.db.server.json')), 'temporal'],
    [serverPid(path.join(dataDir, 'nats', 'server.json')), 'nats-server'],
  ];
}

/** Runs a `ledgerflow` command on this test's data dir and ports. */
function ledgerflow(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: devEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
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
    // Sources (watchdog.ts via tsx) or the compiled build (dist/runtime/watchdog.js), which the bin
    // runs once test/cli-build.test.ts has built it.
    if (/runtime\/watchdog\.(ts|js) /.test(cmd) && pids.some((p) => cmd.includes(` ${p} `)))
      process.kill(Number(entry), 'SIGKILL');
  }
}

describe('embedded servers are owned by the process that started them', () => {
  it('kill -9 of `ledgerflow dev` stops its PostgreSQL, Temporal and NATS; the next command starts cleanly', async () => {
    dataDir = path.join(root, 'one');
    ports = {
      pg: await freePort(),
      temporal: await freePort(),
      ui: await freePort(),
      nats: await freePort(),
    };
    const first = await startDev();
    expect(await answers(ports.pg)).toBe(true);
    expect(await answers(ports.temporal)).toBe(true);
    expect(await answers(ports.nats)).toBe(true);
    const servers = serverProcesses();
    first.child.kill('SIGKILL');
    // The watchdog stops both servers: their ports close and their processes end.
    await until(
      'the orphaned server processes to end',
      () => servers.every(([pid, name]) => !isRunning(pid, name)),
      30_000,
    );
    await until(
      'the orphaned servers to stop',
      async () =>
        !(await answers(ports.pg)) && !(await answers(ports.temporal)) && !(await answers(ports.nats)),
      30_000,
    );

    // The next command on the same data dir starts its PostgreSQL cleanly (no port left taken).
    const next = await ledgerflow(['events', 'list', '--json']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(/Is another server using the port/);
  }, 240_000);

  it('a server orphaned without its watchdog is detected and stopped by the next start, with a message', async () => {
    dataDir = path.join(root, 'two');
    ports = {
      pg: await freePort(),
      temporal: await freePort(),
      ui: await freePort(),
      nats: await freePort(),
    };
    const first = await startDev();
    const pgPid = serverPid(path.join(dataDir, 'pg.server.json'));
    const temporalPid = serverPid(path.join(dataDir, 'temporal.db.server.json'));
    const natsPid = serverPid(path.join(dataDir, 'nats', 'server.json'));
    killWatchdogs([pgPid, temporalPid, natsPid]);
    first.child.kill('SIGKILL');
    await until('dev to die', () => first.child.exitCode !== null || first.child.signalCode !== null);
    expect(await answers(ports.pg)).toBe(true); // orphaned: nothing stopped it

    orphans.push([temporalPid, 'temporal']);
    const next = await ledgerflow(['events', 'list']);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/stopping PostgreSQL of .* left running by an earlier process \(pid \d+\)/);
    expect(isRunning(pgPid, 'postgres')).toBe(false);
    // The orphaned broker: the next command that opens it stops it first.
    expect(isRunning(natsPid, 'nats-server')).toBe(true);
    const pub = await ledgerflow(['tx', 'dead-letters', '--as', 'admin']);
    expect(pub.stderr).toMatch(
      /stopping the NATS server of .* left running by an earlier process \(pid \d+\)/,
    );
    expect(pub.code, pub.stderr).toBe(0);
    expect(isRunning(natsPid, 'nats-server')).toBe(false);
  }, 240_000);
});
