import { generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { formatTrustedKeys, signerFrom, type PublicKeyInfo, type Signer } from '../../core/signing';
import { exportBundle } from '../../ledger/bundle';
import { createLedger, type Ledger } from '../../ledger/ledger';
import { PURGE_EVENT_STREAM, purgeEvents, toRanges } from '../../ledger/purge-events';
import { sampleEvent, type TestDatabase } from '../helpers';

/**
 * Purges the payloads of `stream` at `seqs` the way a retention batch does: purge records, the
 * payload rows deleted, and the batch's chained purge event in `compliance`.
 */
export async function sanctionedPurge(
  t: TestDatabase,
  ledger: Ledger,
  stream: string,
  seqs: number[],
  batch = { purgeRunId: 'run-honest', dataClass: 'ledger_payloads', batchNo: 1 },
): Promise<void> {
  for (const seq of seqs) {
    await t.asOwner(
      `INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason) VALUES ($1, $2, $3, 'retention')`,
      [stream, seq, batch.purgeRunId],
    );
    await t.asOwner('DELETE FROM ledger_payloads WHERE stream = $1 AND seq = $2', [stream, seq]);
  }
  const items = purgeEvents(batch, toRanges(seqs.map((seq) => ({ stream, seq }))));
  await ledger.appendMany(items, { stream: PURGE_EVENT_STREAM });
}

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
 * below the cadence), purges beta seq 9's payload (with its purge event in `compliance`), signs a ledger head and exports the bundle into `root/honest`.
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
  await sanctionedPurge(t, ledger, 'beta', [9]);
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

/** What the independent Python verifier (verifiers/python) says about a bundle: its JSON and exit code. */
export async function pythonVerdict(
  dir: string,
  keysFile: string,
  anchorFile?: string,
): Promise<{
  exit: number;
  result: { valid: boolean; fault: string | null; stream: string | null; firstBadSeq: number | null };
}> {
  const deps = path.resolve('.tools/pyverifier');
  const env = {
    ...process.env,
    PYTHONPATH: existsSync(deps)
      ? [deps, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter)
      : (process.env.PYTHONPATH ?? ''),
  };
  const args = [
    path.resolve('verifiers/python/ledgerflow_verify.py'),
    dir,
    '--trusted-keys',
    keysFile,
    '--json',
  ];
  if (anchorFile) args.push('--trusted-checkpoint', anchorFile);
  try {
    const { stdout } = await promisify(execFile)('python3', args, { env });
    return { exit: 0, result: JSON.parse(stdout) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (e.code !== 1) throw new Error(`python verifier exited ${e.code}: ${e.stderr}`, { cause: err });
    return { exit: 1, result: JSON.parse(e.stdout ?? '') };
  }
}
