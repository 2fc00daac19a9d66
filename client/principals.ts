import type { PrincipalRow } from '../db/schema';
import type { Ledger } from '../ledger/ledger';
import { PrincipalError, type Action } from '../services/principals/authorization';
import { recordDenial } from '../services/principals/denials';
import { requirePrincipal } from '../services/principals/principals';

export { PrincipalError } from '../services/principals/authorization';

/** Env var naming the acting principal when `--as` is not given. */
export const PRINCIPAL_ENV = 'LEDGERFLOW_PRINCIPAL';

/** Help text of every `--as` option. */
export const AS_HELP = `acting principal (default: $${PRINCIPAL_ENV})`;

/** The principal id acting through the CLI: `--as`, else LEDGERFLOW_PRINCIPAL (undefined when neither). */
export function actingPrincipalId(as: string | undefined): string | undefined {
  return as ?? (process.env[PRINCIPAL_ENV] || undefined);
}

/**
 * The principal acting through the CLI (`--as`, else LEDGERFLOW_PRINCIPAL): must be known, active
 * and allowed `action`. A refusal is recorded (see recordDenial) before it is rethrown.
 */
export async function resolvePrincipal(
  ctx: { ledger(): Ledger },
  as: string | undefined,
  action: Action,
): Promise<PrincipalRow> {
  const ledger = ctx.ledger();
  try {
    return await requirePrincipal(ledger.db, actingPrincipalId(as), action);
  } catch (err) {
    // The refusal stands even when recording it fails; that failure is reported, not hidden.
    if (err instanceof PrincipalError)
      await recordDenial(ledger, err, { channel: 'cli' }).catch((e: unknown) =>
        process.stderr.write(
          `warning: the denial could not be recorded in the ledger (${(e as Error).name})\n`,
        ),
      );
    throw err;
  }
}
