import { ZodError } from 'zod';
import { describeZodError } from '../core/audit-event';
import { LedgerValidationError } from '../ledger/errors';
import { ConfigError, InputError } from '../runtime/errors';

/** Exit codes: 0 ok, 1 a check failed or data was rejected, 2 cannot run (usage, config, unreachable). */
export const EXIT = { ok: 0, failed: 1, cannotRun: 2 } as const;

/**
 * The one error line of the CLI: `error: <what>` on stderr, newlines folded so it stays one line.
 * Every ordinary mistake is reported through it (or {@link reportError}).
 */
export function printError(message: string): void {
  process.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
}

/** Wraps a command action: prints errors as one clear line and sets the exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? EXIT.ok;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  };
}

/**
 * The top-level error handler: one `error:` line and the exit code (2 cannot run: usage, config,
 * denied, unreachable; 1 the operation failed or rejected the data). LEDGERFLOW_DEBUG=1 (an
 * operator's explicit choice, on their own terminal) prints the stack first.
 */
export function reportError(err: unknown): number {
  if (process.env.LEDGERFLOW_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  const [message, code] = describeError(err);
  printError(message);
  return code;
}

function describeError(err: unknown): [string, number] {
  // MigrationError and PrincipalError by their codes: importing their modules here would load
  // drizzle, pg and the schema into every start-up, `--help` included.
  const code = (err as { code?: unknown })?.code;
  if (
    err instanceof ConfigError ||
    err instanceof InputError ||
    (err instanceof Error && code === 'MIGRATION')
  )
    return [err.message, EXIT.cannotRun];
  if (err instanceof Error && code === 'PRINCIPAL') return [`denied: ${err.message}`, EXIT.cannotRun];
  if (err instanceof LedgerValidationError) return [`rejected: ${err.message}`, EXIT.failed];
  if (err instanceof ZodError) return [`rejected: ${describeZodError(err)}`, EXIT.failed];
  const e = err as Error & { code?: string; address?: string; port?: number };
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(e?.message))) {
    const at = e.port ? ` at ${e.address}:${e.port}` : '';
    return [`connection refused${at}; run "ledgerflow doctor" to see what is unreachable`, EXIT.cannotRun];
  }
  // Node's own errors (ERR_*, ENOENT, ...) describe the program, not the data: show them.
  if (typeof e?.code === 'string' && /^(ERR_[A-Z_]+|E[A-Z]+)$/.test(e.code))
    return [e.message.split('\n')[0] ?? e.code, EXIT.failed];
  // Never the message of an unexpected error: it can carry input values (a database error
  // quotes the row it rejected, personal data included). The name and code locate it.
  return [
    `unexpected ${e?.name ?? 'error'}${e?.code ? ` (code ${e.code})` : ''}; nothing shown of its detail, which may hold personal data (LEDGERFLOW_DEBUG=1 shows it)`,
    EXIT.failed,
  ];
}
