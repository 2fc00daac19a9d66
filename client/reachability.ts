import { Socket } from 'node:net';
import type { Config } from '../runtime/config';
import { ConfigError } from '../runtime/errors';

/** Why a TCP connection failed, in a few words ("connection refused"), or undefined when it opened. */
export function probeTcp(host: string, port: number, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(describeSocketError(err)));
    socket.connect(port, host);
  });
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return err.code ?? 'cannot connect';
  }
}

/** host:port of a PostgreSQL URL (no credentials: they never appear in messages). */
function pgAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(u.port || 5432) };
}

/**
 * Checks, before anything is started or retried, that the servers named in the environment
 * answer on TCP, and throws a one-line {@link ConfigError} naming the address, the variable and
 * the fix when one does not (instead of a client library's minute of retries).
 */
export async function assertServersReachable(config: Config, opts: { temporal: boolean }): Promise<void> {
  const checks: Array<{ what: string; variable: string; host: string; port: number; fix: string }> = [];
  const pgVariable = config.DATABASE_URL
    ? 'DATABASE_URL'
    : config.LEDGERFLOW_WRITER_URL && config.LEDGERFLOW_READER_URL && config.LEDGERFLOW_PURGER_URL
      ? 'LEDGERFLOW_WRITER_URL'
      : undefined;
  if (pgVariable) {
    const url = config.DATABASE_URL ?? config.LEDGERFLOW_WRITER_URL ?? '';
    checks.push({
      what: 'PostgreSQL',
      variable: pgVariable,
      ...pgAddress(url),
      fix: `start it, or fix ${pgVariable} (unset it to use the embedded PostgreSQL)`,
    });
  }
  if (opts.temporal && config.TEMPORAL_ADDRESS) {
    const [host, port] = config.TEMPORAL_ADDRESS.split(':');
    checks.push({
      what: 'Temporal',
      variable: 'TEMPORAL_ADDRESS',
      host: host ?? '127.0.0.1',
      port: Number(port),
      fix: 'start it ("ledgerflow dev" runs one), or fix or unset TEMPORAL_ADDRESS',
    });
  }
  const reasons = await Promise.all(checks.map((c) => probeTcp(c.host, c.port)));
  for (const [i, reason] of reasons.entries()) {
    const c = checks[i]!;
    if (reason)
      throw new ConfigError(
        `cannot reach ${c.what} at ${c.host}:${c.port} (${c.variable}): ${reason}; ${c.fix}`,
      );
  }
}
