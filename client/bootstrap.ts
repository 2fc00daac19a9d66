import type { Ledger } from '../ledger/ledger';
import { ensureAdmin } from '../services/principals/principals';
import { PRINCIPAL_ENV } from './principals';

/** The admin the demo and the first `dev` create when no active admin exists. */
export const BOOTSTRAP_ADMIN = 'admin';

/**
 * Makes sure an active admin exists (adding {@link BOOTSTRAP_ADMIN} with a `principal.added`
 * event when none does) and says who it is and how to act as it. Returns its id.
 */
export async function bootstrapAdmin(ledger: Ledger, log: (line: string) => void): Promise<string> {
  const admin = await ensureAdmin(ledger, BOOTSTRAP_ADMIN);
  log(
    admin.added
      ? `admin principal "${admin.id}" created (principal.added in ledger stream admin); act as it with ${PRINCIPAL_ENV}=${admin.id} or --as ${admin.id}, e.g. ${PRINCIPAL_ENV}=${admin.id} npx ledgerflow principals add alice --roles operator`
      : `admin principal "${admin.id}" exists; act as it with ${PRINCIPAL_ENV}=${admin.id} or --as ${admin.id}`,
  );
  return admin.id;
}
