import { daysBetween } from '../../../core/posture/evaluate';
import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';
import { signingKeyCreatedAt } from '../signals';

/** The checkpoint signing key is younger than the rotation period. */
export const signingKeyRotation = defineControl<{ source: string; created_at: string | null }>({
  definition: {
    id: 'signing-key-rotation',
    title: 'Signing key within its rotation period',
    description:
      'The Ed25519 key signing checkpoints, heads and reports was created (key file mtime) at most keyRotationDays ago; rotate with "ledgerflow ledger keys rotate".',
    frameworks: [FRAMEWORK.soc2CC61, FRAMEWORK.pci103],
  },
  async probe({ db, signingKeyFile, signer }) {
    const k = await signingKeyCreatedAt(db, { signingKeyFile, keyId: signer?.keyId });
    return { probe: k.source, observed: k };
  },
  evaluate(o, { now, settings }) {
    if (!o.created_at) return { status: 'fail', detail: `signing key age unknown (${o.source})` };
    const age = daysBetween(o.created_at, now);
    return age > settings.keyRotationDays
      ? {
          status: 'fail',
          detail: `signing key is ${Math.floor(age)} days old (rotate within ${settings.keyRotationDays})`,
        }
      : { status: 'pass', detail: `signing key is ${Math.floor(age)} days old` };
  },
});
