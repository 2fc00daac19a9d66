import { ZodError } from 'zod';
import { describeZodError } from '../core/audit-event';
import { MigrationError } from '../db/migrate';
import { LedgerValidationError } from '../ledger/errors';
import { ConfigError, InputError } from '../runtime/errors';
import { PrincipalError } from './principals';

/** Exit codes: 0 ok, 1 a check failed or data was rejected, 2 cannot run (usage, config, unreachable). */
export const EXIT = { ok: 0, failed: 1, cannotRun: 2 } as const;

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

function reportError(err: unknown): number {
  if (err instanceof ConfigError || err instanceof InputError || err instanceof MigrationError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.cannotRun;
  }
  if (err instanceof PrincipalError) {
    process.stderr.write(`denied: ${err.message}\n`);
    return EXIT.cannotRun;
  }
  if (err instanceof LedgerValidationError) {
    process.stderr.write(`rejected: ${err.message}\n`);
    return EXIT.failed;
  }
  if (err instanceof ZodError) {
    process.stderr.write(`rejected: ${describeZodError(err)}\n`);
    return EXIT.failed;
  }
  const e = err as Error & { code?: string };
  if (e?.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String(e?.message))) {
    const at = (e as { address?: string; port?: number }).port
      ? ` at ${(e as { address?: string }).address}:${(e as { port?: number }).port}`
      : '';
    process.stderr.write(
      `error: connection refused${at}; run "ledgerflow doctor" to see what is unreachable\n`,
    );
    return EXIT.cannotRun;
  }
  // Node's own errors (ERR_*, ENOENT, ...) describe the program, not the data: show them.
  if (typeof e?.code === 'string' && /^(ERR_[A-Z_]+|E[A-Z]+)$/.test(e.code)) {
    process.stderr.write(`error: ${e.message.split('\n')[0]}\n`);
    return EXIT.failed;
  }
  // Never the message or stack of an unexpected error: they can carry input values (a database
  // error quotes the row it rejected, personal data included). The name and code locate it;
  // LEDGERFLOW_DEBUG=1 (an operator's explicit choice, on their own terminal) shows the stack.
  if (process.env.LEDGERFLOW_DEBUG === '1') process.stderr.write(`${e?.stack ?? String(err)}\n`);
  process.stderr.write(
    `error: unexpected ${e?.name ?? 'error'}${e?.code ? ` (code ${e.code})` : ''}; nothing shown of its detail, which may hold personal data\n`,
  );
  return EXIT.failed;
}
