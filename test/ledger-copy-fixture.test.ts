import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyBuildLedger } from '../bench/fixtures/copy-ledger';
import { benchEvent } from '../bench/fixtures/events';
import { parseHead } from '../core/ledger-head';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { formatMicros } from '../core/time';
import { exportBundle, verifyBundle } from '../ledger/bundle';
import { createLedger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, type TestDatabase } from './support';

const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);
const SIZE = 2_600;
const inputs = Array.from({ length: SIZE }, (_, i) => ({
  event: benchEvent(i),
  idempotencyKey: `fixture-${i}`,
}));

let appended: TestDatabase;
let copied: TestDatabase;
let dir: string;

beforeAll(async () => {
  [appended, copied] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  dir = mkdtempSync(path.join(os.tmpdir(), 'lf-copy-fixture-'));
}, 60_000);

afterAll(async () => {
  await appended?.drop();
  await copied?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of the ledger's tables that the append path derives from its inputs, salts and clock. */
async function ledgerRows(t: TestDatabase) {
  const q = async (sql: string) => (await t.asOwner(sql)).rows;
  return {
    events: await q('SELECT * FROM ledger_events ORDER BY stream, seq'),
    payloads: await q('SELECT * FROM ledger_payloads ORDER BY stream, seq'),
    tiles: await q('SELECT * FROM ledger_merkle_tiles ORDER BY stream, level, idx'),
    checkpoints: await q(
      'SELECT stream, tree_size, root_hash, frontier, key_id FROM ledger_checkpoints ORDER BY stream, tree_size',
    ),
    heads: (await q('SELECT head FROM ledger_heads ORDER BY version')).map(
      (r) => parseHead(r.head as string).streams,
    ),
  };
}

describe('the COPY fixture builder', () => {
  it('writes exactly the rows, tiles, checkpoints and heads appendMany writes for the same inputs, salts and clock', async () => {
    const ledger = createLedger(appended.connect(), { signer });
    for (let i = 0; i < SIZE; i += 1000)
      await ledger.appendMany(inputs.slice(i, i + 1000), { stream: 'bench' });
    await ledger.checkpoint({ stream: 'bench' });
    await ledger.head();

    const salts = new Map(
      (
        await appended.asOwner<{ seq: string; salt: Buffer }>('SELECT seq, salt FROM ledger_payloads')
      ).rows.map((r) => [Number(r.seq), r.salt]),
    );
    const times = new Map(
      (
        await appended.asOwner<{ seq: string; us: string }>(
          'SELECT seq, ((extract(epoch FROM occurred_at) * 1000000)::bigint)::text AS us FROM ledger_events',
        )
      ).rows.map((r) => [Number(r.seq), formatMicros(r.us)]),
    );
    const db = copied.connect();
    await copyBuildLedger(db, signer, {
      stream: 'bench',
      size: SIZE,
      event: (i) => inputs[i] as (typeof inputs)[number],
      eventsPerTransaction: 2000,
      source: { salt: (seq) => salts.get(seq) as Buffer, occurredAt: (seq) => times.get(seq) as string },
    });
    const copiedLedger = createLedger(db, { signer });
    await copiedLedger.checkpoint({ stream: 'bench' });
    await copiedLedger.head();

    const want = await ledgerRows(appended);
    const got = await ledgerRows(copied);
    expect(got.events).toHaveLength(SIZE);
    expect(got.tiles).toHaveLength(10);
    expect(got.checkpoints.map((c) => Number(c.tree_size))).toEqual([1024, 2048, SIZE]);
    expect(got).toEqual(want);
  });

  it('builds with its own salts and clock, resumes from the head, and passes verifyLedger and the offline bundle verifier', async () => {
    const db = copied.connect();
    const event = (i: number) => ({ event: benchEvent(i), idempotencyKey: `fresh-${i}` });
    await copyBuildLedger(db, signer, { stream: 'fresh', size: 1_500, event, eventsPerTransaction: 1000 });
    await copyBuildLedger(db, signer, { stream: 'fresh', size: 3_100, event, eventsPerTransaction: 1000 });
    const ledger = createLedger(db, { signer });
    await ledger.checkpoint({ stream: 'fresh' });
    await ledger.head();

    const cps = await copied.asOwner<{ n: string }>(
      `SELECT tree_size::text AS n FROM ledger_checkpoints WHERE stream = 'fresh' ORDER BY tree_size`,
    );
    expect(cps.rows.map((r) => Number(r.n))).toEqual([1024, 2048, 3072, 3100]);
    const reader = copied.connect('ledgerflow_reader');
    expect(await verifyLedger(reader, { trustedKeys: pinned })).toMatchObject({ valid: true });
    await exportBundle(reader, path.join(dir, 'b'));
    expect(await verifyBundle(path.join(dir, 'b'), { trustedKeys: pinned })).toMatchObject({
      valid: true,
      manifestOk: true,
    });
  });
});
