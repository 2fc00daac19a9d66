import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom } from '../core/signing';
import type { Database } from '../db/client';
import { copyChunks } from '../ledger/copy-rows';
import { createLedger } from '../ledger/ledger';
import { checkChunk } from '../ledger/verify-chunk';
import { verifyPool } from '../ledger/verify-pool';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
let db: Database;
const chunks: Buffer[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  const ledger = createLedger(db, { signer: signerFrom(generateKeyPairSync('ed25519').privateKey) });
  for (let i = 0; i < 3000; i += 1000)
    await ledger.appendMany(
      Array.from({ length: 1000 }, (_, j) => ({ event: sampleEvent(), idempotencyKey: `p-${i + j}` })),
      { stream: 'pool' },
    );
  for await (const c of copyChunks(db, 'pool', 0, 16 << 10)) chunks.push(Buffer.from(c.buf));
});
afterAll(() => t.drop());

describe('the verification pool', () => {
  it('gives each chunk the result this thread gives and its bytes back, with more chunks at once than it has slots, and for a chunk larger than a slot', async () => {
    const pool = verifyPool(2);
    // 2 workers have 8 slots: most of these wait for a slot's reuse or go the transferred way
    expect(chunks.length).toBeGreaterThan(40);
    const big = Buffer.concat(chunks);
    expect(big.length).toBeGreaterThan(1 << 20);
    const inputs = [...chunks, big, ...chunks];
    const got = await Promise.all(inputs.map((c) => pool.check('pool', Buffer.from(c))));
    got.forEach((g, i) => {
      const input = inputs[i] as Buffer;
      expect(g.buf.equals(input)).toBe(true);
      const own = checkChunk('pool', Buffer.from(input));
      expect(own.clean).toBe(true);
      expect(g.result).toEqual(own);
    });
    // a tampered chunk is reported dirty through the pool as on this thread
    const bad = Buffer.from(chunks[3] as Buffer);
    const at = bad.indexOf('\\\\x') + 3;
    bad[at] = bad[at] === 0x30 ? 0x31 : 0x30;
    expect((await pool.check('pool', bad)).result.clean).toBe(false);
    expect(checkChunk('pool', Buffer.from(bad)).clean).toBe(false);
  });
});
