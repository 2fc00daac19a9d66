import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { arrayLiteral } from '../ledger/array-literal';
import { createLedger, type Ledger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

/**
 * The append path writes a batch without looking its keys up first; a known key fails the
 * INSERT on the idempotency constraint and the batch is written again with every key probed.
 * Whatever the position of known keys in a batch, each key is written once, known keys return
 * their original event, and the chain (with its cadence checkpoints) verifies.
 */
let t: TestDatabase;
let ledger: Ledger;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect(), { signer, checkpointEvery: 100 });
});
afterAll(() => t.drop());

const rows = async (stream: string) =>
  Number((await t.asOwner('SELECT count(*) AS n FROM ledger_events WHERE stream = $1', [stream])).rows[0]?.n);
const verifies = async (stream: string) =>
  (await verifyLedger(t.connect('ledgerflow_reader'), { stream, trustedKeys: pinned })).valid;

describe('append with known idempotency keys', () => {
  it('appendMany: known keys at the start, middle and end of a 1,000-event batch (in its later INSERTs) are skipped', async () => {
    const stream = 'mixed';
    const first = await ledger.appendMany(
      [0, 500, 999].map((j) => ({ event: sampleEvent({ payload: { j } }), idempotencyKey: `k-${j}` })),
      { stream },
    );
    const out = await ledger.appendMany(
      Array.from({ length: 1000 }, (_, j) => ({
        event: sampleEvent({ payload: { j, again: true } }),
        idempotencyKey: `k-${j}`,
      })),
      { stream },
    );
    expect(out.filter((r) => !r.created)).toEqual(first.map((r) => ({ ...r, created: false })));
    expect(out.filter((r) => r.created).map((r) => r.seq)).toEqual(
      Array.from({ length: 997 }, (_, i) => i + 4),
    );
    expect(await rows(stream)).toBe(1000);
    // The same batch once more: nothing new, every original returned.
    const again = await ledger.appendMany(
      Array.from({ length: 1000 }, (_, j) => ({ event: sampleEvent(), idempotencyKey: `k-${j}` })),
      { stream },
    );
    expect(again.every((r) => !r.created)).toBe(true);
    expect(again.map((r) => r.eventId)).toEqual(out.map((r) => r.eventId));
    expect(await rows(stream)).toBe(1000);
    expect(await verifies(stream)).toBe(true);
  });

  it('appendMany: a key twice in one batch, once known and once new, is written once each', async () => {
    const stream = 'twice';
    await ledger.append(sampleEvent(), { stream, idempotencyKey: 'known' });
    const out = await ledger.appendMany(
      ['new', 'known', 'new', 'known', 'other'].map((k) => ({ event: sampleEvent(), idempotencyKey: k })),
      { stream },
    );
    expect(out.map((r) => [r.seq, r.created])).toEqual([
      [2, true],
      [1, false],
      [2, false],
      [1, false],
      [3, true],
    ]);
    expect(await rows(stream)).toBe(3);
  });

  it('group commit: concurrent retries of known keys with projections write each event once and run each projection', async () => {
    const stream = 'group';
    await t.asOwner('CREATE TABLE known_key_projection (k text PRIMARY KEY)');
    await t.asOwner('GRANT SELECT, INSERT ON known_key_projection TO ledgerflow_writer');
    const append = (k: string) =>
      ledger.append(sampleEvent({ payload: { k } }), {
        stream,
        idempotencyKey: k,
        withinTransaction: async (tx) => {
          await tx.query('INSERT INTO known_key_projection (k) VALUES ($1) ON CONFLICT DO NOTHING', [k]);
        },
      });
    const firsts = await Promise.all(Array.from({ length: 50 }, (_, i) => append(`g-${i}`)));
    const mixed = await Promise.all(Array.from({ length: 150 }, (_, i) => append(`g-${i % 100}`)));
    for (let i = 0; i < 50; i++) expect(mixed[i]?.seq).toBe(firsts[i]?.seq);
    expect(new Set(mixed.map((r) => r.seq)).size).toBe(100);
    expect(await rows(stream)).toBe(100);
    const projected = await t.asOwner('SELECT count(*) AS n FROM known_key_projection');
    expect(Number(projected.rows[0]?.n)).toBe(100);
    expect(await verifies(stream)).toBe(true);
  });
});

describe('arrayLiteral', () => {
  const { prepareValue } = createRequire(import.meta.url)('pg/lib/utils') as {
    prepareValue: (v: unknown) => unknown;
  };
  const element = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.constantFrom('"', '\\', '\\"', '{a,b}', 'NULL', ' x ', ''),
    fc.integer(),
    fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
    fc.constant(null),
  );

  it('is what pg sends for the same array', () => {
    fc.assert(
      fc.property(fc.array(element, { maxLength: 20 }), (xs) => {
        expect(arrayLiteral(xs)).toBe(prepareValue(xs));
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips through PostgreSQL as text[] and bytea[]', async () => {
    const texts = ['plain', 'a"b', 'back\\slash', '{x,y}', 'NULL', '', 'ü €', null];
    const bytes = [Buffer.from([0, 1, 255]), Buffer.alloc(0), null];
    const r = await t.asOwner<{ t: Array<string | null>; b: Array<Buffer | null> }>(
      'SELECT $1::text[] AS t, $2::bytea[] AS b',
      [arrayLiteral(texts), arrayLiteral(bytes)],
    );
    expect(r.rows[0]?.t).toEqual(texts);
    expect(r.rows[0]?.b).toEqual(bytes);
  });
});
