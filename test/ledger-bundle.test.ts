import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { createLedger } from '../ledger/ledger';
import { exportBundle, verifyBundle } from '../ledger/bundle';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { sanctionedPurge } from './support/honest-bundle';

let t: TestDatabase;
let dir: string;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);
const other = signerFrom(generateKeyPairSync('ed25519').privateKey);

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bundle-'));
  const db = t.connect();
  const ledger = createLedger(db, { signer, checkpointEvery: 5 });
  for (const stream of ['alpha', 'beta']) {
    for (let b = 0; b < 4; b++) {
      await ledger.appendMany(
        Array.from({ length: 5 }, (_, i) => ({
          event: sampleEvent({ payload: { b, i } }),
          idempotencyKey: `${stream}-${b}-${i}`,
        })),
        { stream },
      );
    }
  }
  await sanctionedPurge(t, ledger, 'beta', [2]);
  await ledger.head();
  await exportBundle(t.connect('ledgerflow_reader'), path.join(dir, 'b'));
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

const events = () => readFileSync(path.join(dir, 'b/events.jsonl'), 'utf8').split('\n');

async function variant(name: string, lines: string[]): Promise<string> {
  const d = path.join(dir, name);
  rmSync(d, { recursive: true, force: true });
  await exportBundle(t.connect('ledgerflow_reader'), d);
  writeFileSync(path.join(d, 'events.jsonl'), lines.join('\n'));
  return d;
}

describe('evidence bundle, verified offline', () => {
  it('verifies every stream, including a sanctioned purge', async () => {
    const r = await verifyBundle(path.join(dir, 'b'), { trustedKeys: pinned });
    expect(r).toMatchObject({ valid: true, eventsChecked: 41, manifestOk: true });
    expect(r.streams.map((s) => [s.stream, s.checkpointsChecked, s.provenTreeSize])).toEqual([
      ['alpha', 13, 20],
      ['beta', 9, 20],
      ['compliance', 2, 1],
    ]);
  });

  it('reports tampered, malformed and missing lines instead of crashing', async () => {
    const lines = events();
    const noActor = [...lines];
    const o = JSON.parse(noActor[4] as string) as Record<string, unknown>;
    delete o.actor;
    noActor[4] = JSON.stringify(o);
    expect(await verifyBundle(await variant('noactor', noActor), { trustedKeys: pinned })).toMatchObject({
      valid: false,
      stream: 'alpha',
      firstBadSeq: 5,
      fault: 'malformed line',
      manifestOk: false,
    });
    const badHash = lines.map((l, i) => (i === 7 ? l.replace(/"hash":"[0-9a-f]+"/, '"hash":"zz"') : l));
    expect(await verifyBundle(await variant('badhash', badHash), { trustedKeys: pinned })).toMatchObject({
      valid: false,
      firstBadSeq: 8,
      fault: 'malformed line',
    });
    const missing = lines.filter((_, i) => i !== 25); // beta seq 6
    expect(await verifyBundle(await variant('missing', missing), { trustedKeys: pinned })).toMatchObject({
      valid: false,
      stream: 'beta',
      firstBadSeq: 6,
      fault: 'event deleted',
    });
    const truncated = lines.slice(0, 17); // alpha 1..17, beta gone entirely
    expect(await verifyBundle(await variant('trunc', truncated), { trustedKeys: pinned })).toMatchObject({
      valid: false,
      stream: 'alpha',
      firstBadSeq: 18,
      fault: 'tail truncated after a checkpoint',
    });
  });

  it('trusts only the keys given, never the bundle own keys', async () => {
    const r = await verifyBundle(path.join(dir, 'b'), { trustedKeys: new Map([[other.keyId, other]]) });
    expect(r).toMatchObject({ valid: false, fault: 'checkpoint signature invalid', firstBadSeq: 1 });
    expect(r.warnings.join(' ')).toMatch(/not pinned/);
  });
});
