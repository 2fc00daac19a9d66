import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is alive and its command line mentions `name` (guards against a recycled pid). */
export function isRunning(pid: number, name: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(name);
  } catch {
    return true; // no /proc: trust the pid
  }
}

/** Sends `signal` and waits until the process is gone; escalates to SIGKILL after `timeoutMs`. */
export async function stopProcess(pid: number, signal: NodeJS.Signals, timeoutMs = 20_000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Who runs an embedded server: recorded next to its data so a later process can tell an orphan from a live owner. */
export interface ServerRecord {
  /** The server's own pid. */
  pid: number;
  /** The ledgerflow process that started it (and stops it). */
  owner: number;
  port: number;
}

export function readServerRecord(file: string): ServerRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as ServerRecord;
    return Number.isInteger(r.pid) && Number.isInteger(r.owner) ? r : undefined;
  } catch {
    return undefined;
  }
}

export function writeServerRecord(file: string, record: ServerRecord): () => void {
  writeFileSync(file, JSON.stringify(record), { mode: 0o600 });
  return () => {
    if (readServerRecord(file)?.owner === record.owner) rmSync(file, { force: true });
  };
}
