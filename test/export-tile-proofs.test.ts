import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash, verifyInclusion } from '../core/merkle';
import { signerFrom } from '../core/signing';
import { createLedger } from '../ledger/ledger';
import { proveInclusion } from '../ledger/proofs';
import { loadProofInputs, StreamProofs } from '../services/events/tile-proofs';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
// Over two complete 256-leaf tiles and a partial one, checkpointed at 600 and at the head.
const SIZE = 777;

beforeAll(async () => {
  t = await createTestDatabase();
  const ledger = createLedger(t.connect(), { signer, checkpointEvery: 0 });
  const items = Array.from({ length: SIZE }, (_, i) => ({
    event: sampleEvent({ payload: { n: i } }),
    idempotencyKey: `tp-${i}`,
  }));
  await ledger.appendMany(items.slice(0, 600), { stream: 'tiles' });
  await ledger.checkpoint({ stream: 'tiles' });
  await ledger.appendMany(items.slice(600), { stream: 'tiles' });
  await ledger.checkpoint({ stream: 'tiles' });
});
afterAll(async () => {
  await t?.drop();
});

describe('export proofs from stored tiles', () => {
  it('gives every event the same audit path as the one-by-one prover, at the head and at an older checkpoint', async () => {
    const db = t.connect('ledgerflow_reader');
    for (const size of [SIZE, 600]) {
      const proofs = new StreamProofs('tiles', size);
      const client = await db.$client.connect();
      try {
        // Two pages, out of order, the second reusing loaded tiles.
        const seqs = Array.from({ length: size }, (_, i) => size - i);
        await loadProofInputs(client, [{ proofs, seqs: seqs.slice(0, 300) }]);
        await loadProofInputs(client, [{ proofs, seqs: seqs.slice(300) }]);
      } finally {
        client.release();
      }
      for (const seq of [1, 2, 255, 256, 257, 512, 513, 599, 600, size - 1, size]) {
        const one = await proveInclusion(db, { stream: 'tiles', seq, treeSize: size });
        const batch = proofs.proof(seq);
        expect(batch, `seq ${seq} of ${size}`).toEqual(one.proof);
        expect(
          verifyInclusion(
            seq - 1,
            size,
            leafHash(Buffer.from(one.eventHash, 'hex')),
            batch.map((h) => Buffer.from(h, 'hex')),
            Buffer.from(one.rootHash, 'hex'),
          ),
        ).toBe(true);
      }
    }
  });

  it('drops tiles beyond its cache between pages and reads them again when a later page needs them', async () => {
    const db = t.connect('ledgerflow_reader');
    const proofs = new StreamProofs('tiles', SIZE, 1);
    const client = await db.$client.connect();
    try {
      await loadProofInputs(client, [{ proofs, seqs: [1, 300] }]);
      const first = proofs.proof(1);
      expect(proofs.proof(300)).toEqual((await proveInclusion(db, { stream: 'tiles', seq: 300 })).proof);
      await loadProofInputs(client, [{ proofs, seqs: [600] }]);
      expect(proofs.proof(600)).toEqual((await proveInclusion(db, { stream: 'tiles', seq: 600 })).proof);
      expect(() => proofs.proof(1)).toThrow(/not loaded/);
      await loadProofInputs(client, [{ proofs, seqs: [1] }]);
      expect(proofs.proof(1)).toEqual(first);
    } finally {
      client.release();
    }
  });

  it('refuses to prove an event whose tile was not loaded, and reports a missing stored tile', async () => {
    const db = t.connect('ledgerflow_reader');
    const proofs = new StreamProofs('tiles', SIZE);
    const client = await db.$client.connect();
    try {
      await loadProofInputs(client, [{ proofs, seqs: [700] }]);
      expect(proofs.proof(700)).toHaveLength(10);
      expect(() => proofs.proof(3)).toThrow(/not loaded/);
      // A tree size no checkpoint stored tiles for: the tiles below it are not all there.
      const beyond = new StreamProofs('tiles', 2000);
      await expect(loadProofInputs(client, [{ proofs: beyond, seqs: [1] }])).rejects.toThrow(
        /expected 7 stored tiles/,
      );
    } finally {
      client.release();
    }
  });
});
