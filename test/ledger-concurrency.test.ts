import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMerkleTree, leafHash, verifyConsistency, verifyInclusion } from '../core/merkle';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { createLedger, type Ledger } from '../ledger/ledger';
import { proveConsistency, proveInclusion, verifyProofDoc } from '../ledger/proofs';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('concurrent appenders', () => {
  it('16 appenders x 500 events on 4 pools give one gapless chain that verifies', async () => {
    const stream = 'concurrent';
    const pools = Array.from({ length: 4 }, () =>
      createLedger(t.connect(), { signer, checkpointEvery: 1024 }),
    );
    await Promise.all(
      Array.from({ length: 16 }, (_, w) =>
        (async () => {
          const pool = pools[w % pools.length] as Ledger;
          for (let i = 0; i < 500; i++) {
            await pool.append(sampleEvent({ payload: { w, i } }), {
              stream,
              idempotencyKey: `w${w}-e${i}`,
            });
          }
        })(),
      ),
    );
    await (pools[0] as Ledger).checkpoint({ stream });
    const r = await verifyLedger(t.connect('ledgerflow_reader'), { stream, trustedKeys: pinned });
    expect(r).toMatchObject({ valid: true, eventsChecked: 8000, firstBadSeq: null });
    expect(r.streams[0]?.headSeq).toBe(8000);
    expect(r.streams[0]?.checkpointsChecked).toBeGreaterThanOrEqual(8);
    expect(r.streams[0]?.provenTreeSize).toBe(8000);
  });
});

describe('verification while appenders go on', () => {
  it('is valid every time, and what it compares the rows with is read before its COPY begins', async () => {
    const stream = 'live';
    const ledger = createLedger(t.connect(), { signer, checkpointEvery: 64 });
    for (let i = 0; i < 300; i++)
      await ledger.append(sampleEvent({ payload: { i } }), { stream, idempotencyKey: `pre-${i}` });
    // The reader's queries in order: a read of heads, checkpoints or the last seq when it has
    // answered, the COPY when it is sent.
    const log: string[] = [];
    const query = pg.Client.prototype.query as (...a: unknown[]) => unknown;
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      if (this.user === 'ledgerflow_reader') {
        const q = a[0] as string | { text?: string; submit?: unknown };
        const text = typeof q === 'string' ? q : (q.text ?? '');
        if (typeof q === 'object' && q.submit && /^COPY/.test(text)) log.push('copy');
        else if (/ledger_heads|ledger_checkpoints|max\(seq\)/.test(text)) {
          const last = a.length - 1;
          const done = a[last];
          if (typeof done === 'function')
            a[last] = (...r: unknown[]) => {
              log.push('read');
              return (done as (...x: unknown[]) => unknown)(...r);
            };
        }
      }
      return query.apply(this, a);
    } as typeof pg.Client.prototype.query;
    let appending = true;
    const appender = (async () => {
      for (let i = 0; appending; i++)
        await ledger.append(sampleEvent({ payload: { i } }), { stream, idempotencyKey: `live-${i}` });
    })();
    try {
      const reader = t.connect('ledgerflow_reader');
      for (let run = 0; run < 6; run++) {
        log.length = 0;
        const r = await verifyLedger(reader, { stream, trustedKeys: pinned });
        expect(r, `run ${run}: ${r.fault} ${r.detail}`).toMatchObject({ valid: true });
        expect(log.filter((x) => x === 'copy')).toHaveLength(1);
        expect(log.lastIndexOf('read')).toBeLessThan(log.indexOf('copy'));
        expect(log.filter((x) => x === 'read').length).toBeGreaterThanOrEqual(3);
      }
    } finally {
      appending = false;
      pg.Client.prototype.query = query as typeof pg.Client.prototype.query;
      await appender;
    }
  });
});

describe('proofs from stored tiles', () => {
  it('inclusion and consistency proofs match an in-memory RFC 6962 tree', async () => {
    const stream = 'proofs';
    const db = t.connect();
    const ledger = createLedger(db, { signer, checkpointEvery: 300 });
    for (let b = 0; b < 7; b++) {
      await ledger.appendMany(
        Array.from({ length: 190 }, (_, i) => ({
          event: sampleEvent({ payload: { b, i } }),
          idempotencyKey: `p${b}-${i}`,
        })),
        { stream },
      );
    }
    const reader = t.connect('ledgerflow_reader');
    const rows = await t.asOwner<{ hash: Buffer }>(
      'SELECT hash FROM ledger_events WHERE stream = $1 ORDER BY seq',
      [stream],
    );
    const tree = new MemoryMerkleTree(rows.rows.map((r) => leafHash(r.hash)));
    const sizes = (
      await t.asOwner('SELECT tree_size FROM ledger_checkpoints WHERE stream = $1 ORDER BY tree_size', [
        stream,
      ])
    ).rows.map((r) => Number(r.tree_size));
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    const tiles = await t.asOwner(
      'SELECT count(*)::int AS n FROM ledger_merkle_tiles WHERE stream = $1 AND level = 8',
      [stream],
    );
    expect(tiles.rows[0]?.n).toBe(Math.floor((sizes.at(-1) as number) / 256));
    const last = sizes.at(-1) as number;
    for (const seq of [1, 2, 255, 256, 257, 700, last]) {
      const doc = await proveInclusion(reader, { stream, seq });
      expect(doc.proof).toEqual(tree.inclusionProof(seq - 1, last).map((h) => h.toString('hex')));
      expect(verifyProofDoc(doc, pinned)).toMatchObject({ valid: true, signatureTrusted: true });
      expect(
        verifyInclusion(
          seq - 1,
          last,
          leafHash(Buffer.from(doc.eventHash, 'hex')),
          tree.inclusionProof(seq - 1, last),
          tree.root(last),
        ),
      ).toBe(true);
    }
    for (const from of sizes.slice(0, -1)) {
      const doc = await proveConsistency(reader, { stream, fromSize: from });
      expect(doc.toRoot).toBe(tree.root(last).toString('hex'));
      expect(doc.fromRoot).toBe(tree.root(from).toString('hex'));
      expect(verifyProofDoc(doc, pinned).valid).toBe(true);
      expect(
        verifyConsistency(
          from,
          last,
          tree.root(from),
          tree.root(last),
          doc.proof.map((h) => Buffer.from(h, 'hex')),
        ),
      ).toBe(true);
    }
    const forged = { ...(await proveInclusion(reader, { stream, seq: 10 })), eventHash: 'ab'.repeat(32) };
    expect(verifyProofDoc(forged, pinned).valid).toBe(false);
  });
});
