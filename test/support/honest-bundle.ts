import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatTrustedKeys, signerFrom, type PublicKeyInfo, type Signer } from '../../core/signing';
import { exportBundle } from '../../ledger/bundle';
import { createLedger } from '../../ledger/ledger';
import { sampleEvent, type TestDatabase } from '../helpers';

/** An honest bundle exported from a real database, with the key and head a verifier trusts. */
export interface HonestBundle {
  dir: string;
  signer: Signer;
  trustedKeys: Map<string, PublicKeyInfo>;
  keysFile: string;
  /** The latest signed ledger head text (the trusted checkpoint of the "anchored" runs). */
  headText: string;
  headFile: string;
}

/**
 * Fills `t` with three streams (alpha and beta past several cadence checkpoints, a quiet one
 * below the cadence), signs a ledger head and exports the bundle into `root/honest`.
 */
export async function buildHonestBundle(t: TestDatabase, root: string): Promise<HonestBundle> {
  const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
  const ledger = createLedger(t.connect(), { signer, checkpointEvery: 4 });
  for (const stream of ['alpha', 'beta']) {
    await ledger.appendMany(
      Array.from({ length: 10 }, (_, i) => ({
        event: sampleEvent({
          subject_id: `subj-${i % 3}`,
          payload: {
            i,
            name: 'Zoë «ünïcode» \u{1F600}',
            amount: 1.5e-7 * (i + 1),
            nested: { z: [i, null, true] },
          },
        }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  }
  for (let i = 0; i < 2; i++)
    await ledger.append(sampleEvent({ payload: { q: i } }), { stream: 'quiet', idempotencyKey: `q-${i}` });
  const { head } = await ledger.head();
  const dir = path.join(root, 'honest');
  await exportBundle(t.connect('ledgerflow_reader'), dir);
  mkdirSync(root, { recursive: true });
  const keysFile = path.join(root, 'trusted-keys.txt');
  writeFileSync(keysFile, formatTrustedKeys([signer]));
  const headFile = path.join(root, 'trusted-head.txt');
  writeFileSync(headFile, head.text);
  return {
    dir,
    signer,
    trustedKeys: new Map([[signer.keyId, signer]]),
    keysFile,
    headText: head.text,
    headFile,
  };
}
