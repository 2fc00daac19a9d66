import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { createLedger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

/** Per checkpoint: its size, and whether it was signed at the clock reading of the event at that size (inside the append). */
async function checkpoints(stream: string) {
  const r = await t.asOwner<{ n: string; inside: boolean }>(
    `SELECT c.tree_size::text AS n, c.signed_at = e.occurred_at AS inside
       FROM ledger_checkpoints c JOIN ledger_events e ON e.stream = c.stream AND e.seq = c.tree_size
      WHERE c.stream = $1 ORDER BY c.tree_size`,
    [stream],
  );
  return r.rows.map((x) => [Number(x.n), x.inside]);
}

describe('cadence checkpoints signed inside the append transaction', () => {
  it('appendMany: every multiple crossed is signed with the batch (after the first, which registers the key), and verifies', async () => {
    const ledger = createLedger(t.connect(), { signer, checkpointEvery: 100 });
    for (let b = 0; b < 8; b++) {
      await ledger.appendMany(
        Array.from({ length: 70 }, (_, i) => ({
          event: sampleEvent({ payload: { b, i } }),
          idempotencyKey: `m${b}-${i}`,
        })),
        { stream: 'many' },
      );
    }
    // 560 events, batches of 70: multiples 100..500; two in one call are both signed.
    expect(await checkpoints('many')).toEqual([
      [100, false],
      [200, true],
      [300, true],
      [400, true],
      [500, true],
    ]);
    await ledger.appendMany(
      Array.from({ length: 250 }, (_, i) => ({
        event: sampleEvent({ payload: { i } }),
        idempotencyKey: `big-${i}`,
      })),
      { stream: 'many' },
    );
    expect((await checkpoints('many')).slice(5)).toEqual([
      [600, true],
      [700, true],
      [800, true],
    ]);
    const r = await verifyLedger(t.connect('ledgerflow_reader'), { stream: 'many', trustedKeys: pinned });
    expect(r).toMatchObject({ valid: true, eventsChecked: 810 });
    expect(r.streams[0]?.checkpointsChecked).toBeGreaterThanOrEqual(8);
  });

  it('group-committed single appends sign inside too, and a batch whose keys are all known signs nothing', async () => {
    const ledger = createLedger(t.connect(), { signer, checkpointEvery: 10 });
    for (let i = 0; i < 35; i++)
      await ledger.append(sampleEvent({ payload: { i } }), { stream: 'single', idempotencyKey: `s-${i}` });
    const cps = await checkpoints('single');
    expect(cps.map(([n]) => n)).toEqual([10, 20, 30]);
    expect(cps.slice(1).every(([, inside]) => inside)).toBe(true);
    await ledger.appendMany(
      Array.from({ length: 35 }, (_, i) => ({
        event: sampleEvent({ payload: { i } }),
        idempotencyKey: `s-${i}`,
      })),
      { stream: 'single' },
    );
    expect((await checkpoints('single')).map(([n]) => n)).toEqual([10, 20, 30]);
    expect(
      await verifyLedger(t.connect('ledgerflow_reader'), { stream: 'single', trustedKeys: pinned }),
    ).toMatchObject({
      valid: true,
      eventsChecked: 35,
    });
  });

  it('a ledger object remembers its last base between batches, and reads it again when another writer moved the head', async () => {
    const a = createLedger(t.connect(), { signer, checkpointEvery: 50 });
    const b = createLedger(t.connect(), { signer, checkpointEvery: 50 });
    // 30-event batches: a alone (its remembered base is used), then a and b in turns (each finds
    // the head moved by the other), then a alone again; all-known batches in between.
    const order = ['a', 'a', 'a', 'a', 'b', 'a', 'b', 'a', 'a', 'a', 'a'];
    for (const [k, who] of order.entries()) {
      const ledger = who === 'a' ? a : b;
      const items = Array.from({ length: 30 }, (_, i) => ({
        event: sampleEvent({ payload: { k, i } }),
        idempotencyKey: `r-${k}-${i}`,
      }));
      await ledger.appendMany(items, { stream: 'turns' });
      if (k % 3 === 0) await ledger.appendMany(items, { stream: 'turns' });
    }
    // 330 events: every multiple of 50 signed.
    const cps = await checkpoints('turns');
    // After-commit (false): 50 (key not registered yet), 150 (b's first batch), 200 (b judged
    // from its own last head, 150, that 30 more would not cross). Inside: 100 and 250 (base read:
    // nothing remembered yet, or a's remembered base went stale when b moved the head and was
    // dropped), 300 (remembered from a's batch that signed 250).
    expect(cps).toEqual([
      [50, false],
      [100, true],
      [150, false],
      [200, false],
      [250, true],
      [300, true],
    ]);
    const r = await verifyLedger(t.connect('ledgerflow_reader'), { stream: 'turns', trustedKeys: pinned });
    expect(r).toMatchObject({ valid: true, eventsChecked: 330 });
    expect(r.streams[0]?.checkpointsChecked).toBeGreaterThanOrEqual(6);
    // The tiles are those a checkpoint from scratch stores: the one 256-leaf subtree (level 8) below 300.
    const tiles = await t.asOwner(`SELECT level, idx FROM ledger_merkle_tiles WHERE stream = 'turns'`);
    expect(tiles.rows.map((x) => [Number(x.level), Number(x.idx)])).toEqual([[8, 0]]);
  });
});
