import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';
import { parseCheckpoint, signCheckpoint } from '../core/checkpoint';
import { parseHead } from '../core/ledger-head';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { exportBundle, verifyBundle, type BundleEvent } from '../ledger/bundle';
import { GENESIS_HASH, canonicalEnvelope, chainHash } from '../core/hash-chain';
import { createLedger, type Ledger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';

let t: TestDatabase;
let dir: string;
let ledger: Ledger;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-head-'));
  ledger = createLedger(t.connect(), { signer, checkpointEvery: 5 });
  for (const stream of ['alpha', 'beta']) {
    await ledger.appendMany(
      Array.from({ length: 12 }, (_, i) => ({
        event: sampleEvent({ payload: { i } }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  }
  // A quiet stream: 2 events, never reaches the cadence.
  for (let i = 0; i < 2; i++)
    await ledger.append(sampleEvent(), { stream: 'quiet', idempotencyKey: `q-${i}` });
  await exportBundle(t.connect('ledgerflow_reader'), path.join(dir, 'b'));
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

const lines = (f = 'events.jsonl') =>
  readFileSync(path.join(dir, 'b', f), 'utf8')
    .split('\n')
    .filter(Boolean);

async function variant(name: string, files: Record<string, string[]>): Promise<string> {
  const d = path.join(dir, name);
  rmSync(d, { recursive: true, force: true });
  await exportBundle(t.connect('ledgerflow_reader'), d);
  for (const [f, l] of Object.entries(files)) writeFileSync(path.join(d, f), l.map((x) => `${x}\n`).join(''));
  return d;
}

describe('signed ledger head', () => {
  it('signs quiet streams and lists every stream, chained by version', async () => {
    const { head, created } = await ledger.head();
    expect(created).toBe(true);
    expect(head.streams.map((s) => [s.stream, s.treeSize])).toEqual([
      ['alpha', 12],
      ['beta', 12],
      ['quiet', 2],
    ]);
    expect((await ledger.head()).created).toBe(false);
    const all = await t.asOwner('SELECT version, head FROM ledger_heads ORDER BY version');
    expect(all.rows.map((r) => Number(r.version))).toEqual(all.rows.map((_, i) => i + 1));
    expect(parseHead(all.rows.at(-1)?.head as string).version).toBe(head.version);
    expect(await verifyLedger(t.connect('ledgerflow_reader'), { trustedKeys: pinned })).toMatchObject({
      valid: true,
    });
  });

  it('the cadence signs every multiple it crossed: 2,100 events -> checkpoints at 1024 and 2048', async () => {
    const big = createLedger(t.connect(), { signer });
    await big.appendMany(
      Array.from({ length: 2100 }, (_, i) => ({ event: sampleEvent(), idempotencyKey: `big-${i}` })),
      { stream: 'big' },
    );
    const r = await t.asOwner(
      `SELECT tree_size FROM ledger_checkpoints WHERE stream = 'big' ORDER BY tree_size`,
    );
    expect(r.rows.map((x) => Number(x.tree_size))).toEqual([1024, 2048]);
  });

  it('a trusted checkpoint of a stream deleted from the bundle is a fault, not "valid"', async () => {
    const tc = parseCheckpoint(
      (
        await t.asOwner(
          `SELECT checkpoint FROM ledger_checkpoints WHERE stream = 'beta' ORDER BY tree_size DESC LIMIT 1`,
        )
      ).rows[0]?.checkpoint as string,
    );
    const noBeta = await variant('nobeta', {
      'events.jsonl': lines().filter((l) => !l.includes('"stream":"beta"')),
      'checkpoints.jsonl': lines('checkpoints.jsonl').filter((l) => !l.includes('"stream":"beta"')),
      'heads.jsonl': [],
    });
    const r = await verifyBundle(noBeta, { trustedKeys: pinned, trustedCheckpoint: tc });
    expect(r).toMatchObject({ valid: false, stream: 'beta', fault: 'stream removed', firstBadSeq: 1 });
    const one = await verifyBundle(noBeta, { trustedKeys: pinned, trustedCheckpoint: tc, stream: 'beta' });
    expect(one).toMatchObject({ valid: false, fault: 'stream removed' });
    // Without any outside anchor, the bundle's own signed heads still list beta.
    const headsKept = await variant('nobeta2', {
      'events.jsonl': lines().filter((l) => !l.includes('"stream":"beta"')),
      'checkpoints.jsonl': lines('checkpoints.jsonl').filter((l) => !l.includes('"stream":"beta"')),
    });
    expect(await verifyBundle(headsKept, { trustedKeys: pinned })).toMatchObject({
      valid: false,
      stream: 'beta',
      fault: 'stream removed',
    });
  });

  it('a trusted head catches a removed, truncated or added stream, and a rolled-back head chain', async () => {
    await ledger.head();
    await exportBundle(t.connect('ledgerflow_reader'), path.join(dir, 'b'));
    const head = parseHead(
      (await t.asOwner('SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1')).rows[0]
        ?.head as string,
    );
    const opts = { trustedKeys: pinned, trustedHead: head };
    expect(await verifyBundle(path.join(dir, 'b'), opts)).toMatchObject({ valid: true });
    const onlyEvents = (keep: (l: string) => boolean) =>
      variant('v', { 'events.jsonl': lines().filter(keep), 'checkpoints.jsonl': [] });
    expect(await verifyBundle(await onlyEvents((l) => !l.includes('"stream":"quiet"')), opts)).toMatchObject({
      valid: false,
      stream: 'quiet',
      fault: 'stream removed',
    });
    expect(
      await verifyBundle(
        await onlyEvents((l) => !(l.includes('"stream":"alpha"') && /"seq":12,/.test(l))),
        opts,
      ),
    ).toMatchObject({
      valid: false,
      stream: 'alpha',
      fault: 'tail truncated after a checkpoint',
      firstBadSeq: 12,
    });
    const rolledBack = await variant('rb', { 'heads.jsonl': [] });
    expect(await verifyBundle(rolledBack, opts)).toMatchObject({ valid: false, fault: 'head chain broken' });
    // Added: a copy of quiet renamed to a stream no head lists, dated before the head.
    let prev: Buffer = GENESIS_HASH;
    const added = lines()
      .filter((l) => l.includes('"stream":"quiet"'))
      .map((l) => {
        const e = {
          ...(JSON.parse(l) as BundleEvent),
          stream: 'zz',
          occurred_at: '2020-01-01T00:00:00.000000Z',
        };
        const hash = chainHash(prev, e.seq, canonicalEnvelope(e), Buffer.from(e.payload_digest, 'hex'));
        const line = canonicalJson({ ...e, prev_hash: prev.toString('hex'), hash: hash.toString('hex') });
        prev = hash;
        return line;
      });
    const withAdded = await variant('added', { 'events.jsonl': [...lines(), ...added] });
    expect(await verifyBundle(withAdded, opts)).toMatchObject({
      valid: false,
      stream: 'zz',
      fault: 'stream added',
      firstBadSeq: 1,
    });
  });

  it('checkpoint faults name a seq that exists (or none), one rule for every reading', async () => {
    const forged = signCheckpoint(
      {
        stream: 'quiet',
        treeSize: 99,
        rootHash: Buffer.alloc(32, 7),
        timestamp: '2026-01-01T00:00:00.000000Z',
      },
      signerFrom(generateKeyPairSync('ed25519').privateKey),
    );
    const d = await variant('past', {
      'checkpoints.jsonl': [
        ...lines('checkpoints.jsonl'),
        canonicalJson({ stream: 'quiet', tree_size: 99, checkpoint: forged }),
      ],
    });
    const r = await verifyBundle(d, { trustedKeys: pinned });
    expect(r).toMatchObject({
      valid: false,
      stream: 'quiet',
      fault: 'checkpoint signature invalid',
      firstBadSeq: null,
    });
  });

  it('bundle lines must be canonical I-JSON: duplicates, upper-case hex, re-encodings and non-JSON are faults (exit 1), not crashes', async () => {
    const l = lines();
    const i = l.findIndex((x) => x.includes('"stream":"alpha"') && x.includes('"seq":3,'));
    const cases: Array<[string, string]> = [
      ['dup', (l[i] as string).replace('"action":"', '"action":"x","action":"')],
      [
        'upper',
        (l[i] as string).replace(
          /"payload_salt":"([0-9a-f]+)"/,
          (_, h: string) => `"payload_salt":"${h.toUpperCase()}"`,
        ),
      ],
      ['spaced', (l[i] as string).replace('","', '", "')],
      ['notjson', '{"stream":"alpha", nope'],
      ['bigint', (l[i] as string).replace('"payload":{"i":2}', '"payload":{"i":9007199254740993}')],
    ];
    for (const [name, line] of cases) {
      const copy = [...l];
      copy[i] = line;
      const r = await verifyBundle(await variant(name, { 'events.jsonl': copy }), { trustedKeys: pinned });
      expect(r, name).toMatchObject({
        valid: false,
        stream: 'alpha',
        fault: 'malformed line',
        firstBadSeq: 3,
      });
    }
    const reordered = [
      ...l.filter((x) => x.includes('"stream":"beta"')),
      ...l.filter((x) => !x.includes('"stream":"beta"')),
    ];
    reordered.push(l.find((x) => x.includes('"stream":"beta"')) as string);
    expect(
      await verifyBundle(await variant('reorder', { 'events.jsonl': reordered }), { trustedKeys: pinned }),
    ).toMatchObject({
      valid: false,
      fault: 'order changed',
    });
  });
});
