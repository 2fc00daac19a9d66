import type { Config } from '../../runtime/config';
import type { Database } from '../../db/client';
import { createLedger } from '../../ledger/ledger';
import { loadSigner, trustPaths } from '../../ledger/keys';
import { createApiKey } from '../../services/principals/api-keys';
import { ensurePrincipalRecorded } from '../../services/principals/principals';

/** The auditor principal the demo gives a console key. */
export const DEMO_AUDITOR = 'demo-auditor';

/**
 * Gives the demo's data an auditor console: an auditor principal with a fresh API key, and a
 * signed ledger head over everything the demo wrote (the console proves events against it).
 * Returns the lines to print.
 */
export async function consoleAccess(config: Config, writer: Database, admin: string): Promise<string[]> {
  const ledger = createLedger(writer, { signer: loadSigner(config) });
  await ensurePrincipalRecorded(
    ledger,
    { id: DEMO_AUDITOR, displayName: 'Demo auditor', roles: ['auditor'] },
    admin,
  );
  const { key } = await createApiKey(ledger, { principalId: DEMO_AUDITOR, role: 'auditor' }, admin);
  await ledger.head();
  return [
    'Auditor console: run "npx ledgerflow api serve" and open http://127.0.0.1:8080/',
    `  sign in with the auditor key ${key} (shown once)`,
    `  and pin the keys in ${trustPaths(config).pinnedKeysFile} under "Pinned keys"`,
  ];
}
