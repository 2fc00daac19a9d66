/** An event was rejected before anything was written; `message` names the offending field. */
export class LedgerValidationError extends Error {
  readonly code = 'LEDGER_VALIDATION';
  constructor(message: string) {
    super(message);
    this.name = 'LedgerValidationError';
  }
}
