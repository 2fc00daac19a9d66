import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
/**
 * The bin, as users run it: the compiled CLI bundle (the test setup builds dist/ when stale). The
 * TypeScript sources run through tsx only with LEDGERFLOW_TSX=1.
 */
const CLI_ARGS = [path.join(root, 'bin', 'ledgerflow.cjs')];

/** How one CLI process ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliDefaults {
  /** Environment on top of process.env; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `ledgerflow <args>` as its own process (asynchronously: in-process workers keep running). */
export function runCli(args: string[], opts: CliDefaults & { input?: string } = {}): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...CLI_ARGS, ...args],
      { cwd: opts.cwd, env, timeout: opts.timeoutMs ?? 90_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

/**
 * A CLI runner with this test file's defaults (database, Temporal, data dir...), read at each
 * call so they may be set up in beforeAll. Per-call `env` is added on top.
 */
export function createCli(defaults: () => CliDefaults) {
  return (args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliRun> => {
    const d = defaults();
    return runCli(args, { ...d, env: { ...d.env, ...env }, input });
  };
}

/** Starts `ledgerflow <args>` as a long-running process (a server); stdout ignored, stderr piped. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  const merged: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete merged[k];
    else merged[k] = v;
  }
  return spawn(process.execPath, [...CLI_ARGS, ...args], {
    env: merged,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
