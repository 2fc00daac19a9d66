/**
 * Stops an embedded server when the process that started it dies, even by kill -9: a tiny
 * detached process that polls its parent and then signals the server. Usage (internal):
 * `node --import tsx runtime/watchdog.ts <parentPid> <serverPid> <signal>`.
 */
import { spawn } from 'node:child_process';
import { isAlive as alive } from './processes';

const POLL_MS = 500;

/** Starts a watchdog that sends `signal` to `serverPid` once `parentPid` (default: this process) is gone. */
export function startWatchdog(
  serverPid: number,
  signal: NodeJS.Signals,
  parentPid = process.pid,
): () => void {
  const child = spawn(
    process.execPath,
    // Compiled (dist/*.js) it runs as it is; from the sources through tsx.
    [
      ...(__filename.endsWith('.ts') ? ['--import', 'tsx'] : []),
      __filename,
      String(parentPid),
      String(serverPid),
      signal,
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  return () => {
    if (child.pid && alive(child.pid)) process.kill(child.pid, 'SIGKILL');
  };
}

function watch(parentPid: number, serverPid: number, signal: NodeJS.Signals): void {
  const timer = setInterval(() => {
    if (!alive(serverPid)) {
      clearInterval(timer);
      return;
    }
    if (alive(parentPid)) return;
    clearInterval(timer);
    try {
      process.kill(serverPid, signal);
    } catch {
      // already gone
    }
  }, POLL_MS);
}

if (require.main === module) {
  const [parent, server, signal] = process.argv.slice(2);
  watch(Number(parent), Number(server), (signal ?? 'SIGTERM') as NodeJS.Signals);
}
