import type { DatabaseError } from 'pg';
import { LedgerValidationError } from '../../ledger/errors';

/** Bad retention input (unknown hold, self-approval, policy below a legal minimum...): nothing changed. */
export class RetentionRejected extends LedgerValidationError {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionRejected';
  }
}

const pgError = (err: unknown): DatabaseError | undefined =>
  err && typeof err === 'object' && 'code' in err && 'severity' in err ? (err as DatabaseError) : undefined;

/** Turns the database's own refusals (triggers, constraints) into {@link RetentionRejected}. */
export function rethrow(err: unknown): never {
  const e = pgError(err);
  if (e && ['23514', '23503', '23505', '22023', '23502'].includes(e.code ?? ''))
    throw new RetentionRejected(e.message);
  throw err;
}
