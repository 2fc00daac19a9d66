import type { PrincipalRole } from '../core/loan';
import type { Database } from '../db/client';
import type { PrincipalRow } from '../db/schema';
import { requirePrincipal } from '../services/principals/principals';

export { PrincipalError } from '../services/principals/principals';

/** Env var naming the acting principal when `--as` is not given. */
export const PRINCIPAL_ENV = 'LEDGERFLOW_PRINCIPAL';

/** The principal id acting through the CLI: `--as`, else LEDGERFLOW_PRINCIPAL (undefined when neither). */
export function actingPrincipalId(as: string | undefined): string | undefined {
  return as ?? process.env[PRINCIPAL_ENV];
}

/** The principal acting through the CLI. Must exist and hold `role` (admin holds all). */
export async function resolvePrincipal(
  db: Database,
  as: string | undefined,
  role?: PrincipalRole,
): Promise<PrincipalRow> {
  return requirePrincipal(db, actingPrincipalId(as), role);
}
