import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError } from './errors';
import { isRunning, readServerRecord, stopProcess, writeServerRecord } from './processes';
import { ensureTemporalCli, type ToolLookup } from './temporal-cli';
import { startWatchdog } from './watchdog';
import type * as TestingModule from '@temporalio/testing';

export interface TemporalServerHandle {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * Resolves when something accepts TCP connections on host:port, or rejects after `timeoutMs`, or
 * as soon as `gaveUp` says why waiting is pointless (the server process is gone).
 */
export async function waitForPort(
  host: string,
  port: number,
  timeoutMs: number,
  gaveUp: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
    });
    if (ok) return;
    const why = gaveUp();
    if (why) throw new Error(why);
    if (Date.now() > deadline) throw new Error(`nothing answered on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts `temporal server start-dev` and waits for its frontend. With `dbFile` the server
 * persists to SQLite there, so workflows survive a restart. Falls back to the SDK's
 * downloaded server when no CLI can be found or installed (needs internet).
 */
export async function startTemporalDevServer(opts: {
  port: number;
  uiPort?: number;
  dbFile?: string;
  logFile?: string;
  namespace?: string;
  log?: (msg: string) => void;
  /** Where to find the Temporal CLI (TEMPORAL_CLI_PATH, PATH). */
  lookup: ToolLookup;
}): Promise<TemporalServerHandle> {
  const cli = ensureTemporalCli(opts.lookup, opts.log);
  const namespace = opts.namespace ?? 'default';
  if (!cli) return startViaSdkDownload(opts.port, namespace, opts.dbFile);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--namespace',
    namespace,
    '--log-level',
    'warn',
  ];
  if (opts.uiPort) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  const recordFile = opts.dbFile ? `${opts.dbFile}.server.json` : undefined;
  if (opts.dbFile && recordFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
    const stale = readServerRecord(recordFile);
    if (stale && isRunning(stale.pid, 'temporal')) {
      if (stale.owner !== process.pid && isRunning(stale.owner, 'node')) {
        opts.log?.(
          `Temporal dev server of ${opts.dbFile} is already running (pid ${stale.pid}, started by pid ${stale.owner}): using it`,
        );
        return { address: `127.0.0.1:${stale.port}`, stop: async () => undefined };
      }
      opts.log?.(
        `stopping the Temporal dev server of ${opts.dbFile} left running by an earlier process (pid ${stale.pid})`,
      );
      await stopProcess(stale.pid, 'SIGTERM');
    }
  }
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const child: ChildProcess = spawn(cli, args, { stdio: ['ignore', out, out] });
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ? `signal ${signal}` : `code ${code}`));
  try {
    await waitForPort(
      '127.0.0.1',
      opts.port,
      30_000,
      () => exited && `it exited (${exited}) before anything listened there`,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw new ConfigError(
      `Temporal dev server did not start on port ${opts.port}: ${(err as Error).message}; see ${opts.logFile ?? 'its output'}, or set TEMPORAL_ADDRESS`,
      { cause: err },
    );
  }
  if (exited)
    throw new ConfigError(
      `Temporal dev server exited at start; is port ${opts.port} taken (set LEDGERFLOW_TEMPORAL_PORT)? See ${opts.logFile ?? 'its output'}`,
    );
  // Owned by this process: a watchdog stops it if this process dies without stopping it (kill -9).
  const pid = child.pid as number;
  const cancelWatchdog = startWatchdog(pid, 'SIGTERM');
  const forget = recordFile
    ? writeServerRecord(recordFile, { pid, owner: process.pid, port: opts.port })
    : () => undefined;
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: opts.uiPort ? `http://127.0.0.1:${opts.uiPort}` : undefined,
    stop: () =>
      new Promise<void>((resolve) => {
        cancelWatchdog();
        forget();
        if (exited) return resolve();
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => (clearTimeout(t), resolve()));
        child.kill('SIGTERM');
      }),
  };
}

async function startViaSdkDownload(
  port: number,
  namespace: string,
  dbFile?: string,
): Promise<TemporalServerHandle> {
  // require(), not import(): see importEmbeddedPostgres in embedded-postgres.ts.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const { TestWorkflowEnvironment } = require('@temporalio/testing') as typeof TestingModule;
  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'cached-download' }, port, namespace, dbFilename: dbFile },
  });
  return { address: env.address, stop: () => env.teardown() };
}
