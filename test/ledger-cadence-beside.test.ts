import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom } from '../core/signing';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, waitFor, type TestDatabase } from './support';

const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
// ledger/checkpoint.ts CHECKPOINT_LOCK: createCheckpoint takes (this, hashtext(stream)) first.
const CHECKPOINT_LOCK = 1818580808;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const checkpointSizes = async () =>
  (
    await t.asOwner<{ tree_size: string }>(
      `SELECT tree_size FROM ledger_checkpoints WHERE stream = 'access' ORDER BY tree_size`,
    )
  ).rows.map((r) => Number(r.tree_size));

describe('append cadence of the one-trip path', () => {
  it('runs beside the next appends: an append does not wait for the checkpoint of the batch before it', async () => {
    const ledger = createLedger(t.connect(), { signer, checkpointEvery: 2 });
    const read = (i: number) =>
      ledger.appendOneTrip(sampleEvent({ payload: { i } }), { stream: 'access', idempotencyKey: `r-${i}` });
    const holder = new pg.Client({ connectionString: t.ownerUrl });
    await holder.connect();
    try {
      // Holds the access stream's checkpoint lock: the cadence checkpoint at size 2 waits for it.
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(${CHECKPOINT_LOCK}, hashtext('access'))`);
      await read(1);
      await read(2);
      await waitFor(
        async () =>
          Number(
            (
              await t.asOwner<{ n: string }>(
                `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
              )
            ).rows[0]?.n,
          ) === 1,
        30_000,
        'the cadence checkpoint waiting for its lock',
      );
      // Before: the stream's queue ran the cadence before its next batch, so this waited for the lock.
      expect((await read(3)).seq).toBe(3);
      expect(await checkpointSizes()).toEqual([]);
    } finally {
      await holder.query('COMMIT');
      await holder.end();
    }
    await waitFor(async () => (await checkpointSizes()).includes(2), 30_000, 'the cadence checkpoint at 2');
    await read(4);
    await waitFor(async () => (await checkpointSizes()).includes(4), 30_000, 'the cadence checkpoint at 4');
    expect(await checkpointSizes()).toEqual([2, 4]);
  }, 60_000);
});
