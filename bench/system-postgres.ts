import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../runtime/temporal-server';

/**
 * A PostgreSQL from the operating system's packages (Debian's `postgresql`, 15 with LLVM JIT), for
 * checks that the embedded PostgreSQL 18 (built without JIT) cannot make: started on a temporary
 * data dir with JIT on, stopped and removed by `stop()`.
 */
export interface SystemPostgres {
  /** Superuser URL of the `postgres` database. */
  adminUrl: string;
  version: string;
  stop(): Promise<void>;
}

const ROOT = '/usr/lib/postgresql';

/** The bin dir of the newest installed server with JIT support (llvmjit.so), if any. */
export function findJitPostgres(): string | undefined {
  if (!existsSync(ROOT)) return undefined;
  const versions = readdirSync(ROOT)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = path.join(ROOT, v, 'bin');
    if (existsSync(path.join(bin, 'postgres')) && existsSync(path.join(ROOT, v, 'lib', 'llvmjit.so')))
      return bin;
  }
  return undefined;
}

/** The one command that installs it on a Debian machine (printed when it is missing). */
export const JIT_POSTGRES_INSTALL = 'apt-get update && apt-get install -y postgresql-15';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a server binary, as the `postgres` OS user when we are root (initdb refuses root). */
function run(bin: string, args: string[]): void {
  const [cmd, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} failed: ${(r.stderr || r.stdout).trim()}`);
}

/** Starts the system PostgreSQL in `binDir` on a fresh temporary cluster with JIT on. */
export async function startJitPostgres(binDir: string): Promise<SystemPostgres> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-jitpg-'));
  chmodSync(tmp, 0o777);
  const dir = path.join(tmp, 'data');
  const port = await freePort();
  const password = 'jit-check';
  const pwFile = path.join(tmp, 'pw');
  writeFileSync(pwFile, password, { mode: 0o644 });
  run(path.join(binDir, 'initdb'), [
    '-D',
    dir,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwFile}`,
  ]);
  run(path.join(binDir, 'pg_ctl'), [
    '-D',
    dir,
    '-w',
    '-l',
    path.join(tmp, 'log'),
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${tmp} -c jit=on`,
    'start',
  ]);
  const version = execFileSync(path.join(binDir, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    version,
    stop: async () => {
      try {
        run(path.join(binDir, 'pg_ctl'), ['-D', dir, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}
