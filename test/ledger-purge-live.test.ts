import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { createLedger, type Ledger } from '../ledger/ledger';
import { PURGE_EVENT_STREAM, purgeEvents, toRanges } from '../ledger/purge-events';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';

const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);
let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect(), { signer, checkpointEvery: 4 });
  for (const stream of ['alpha', 'beta'])
    await ledger.appendMany(
      Array.from({ length: 6 }, (_, i) => ({
        event: sampleEvent({ payload: { i } }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  await ledger.head();
});
afterAll(() => t.drop());

/** What the purge function does to a payload, done by a superuser with the guards off. */
async function dbaPurge(stream: string, seq: number): Promise<void> {
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    await c.query('DELETE FROM ledger_payloads WHERE stream = $1 AND seq = $2', [stream, seq]);
    await c.query(
      `INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason) VALUES ($1, $2, 'dba', 'covering tracks')`,
      [stream, seq],
    );
  } finally {
    await c.end();
  }
}

const verify = (stream: string) =>
  verifyLedger(t.connect('ledgerflow_reader'), { stream, trustedKeys: pinned });

describe('live ledger verify: a purged payload counts only under a signed purge event', () => {
  it('a payload deleted with a purge record row but no purge event is "payload missing" at its seq', async () => {
    await dbaPurge('alpha', 3);
    const r = await verify('alpha');
    expect(r).toMatchObject({ valid: false, fault: 'payload missing', firstBadSeq: 3, stream: 'alpha' });
    expect(r.detail).toBe('the payload of seq 3 is gone and no signed purge event covers it');
  });

  it('a chained purge event covers the payload once a signed root includes it', async () => {
    await dbaPurge('beta', 2);
    const [purge] = purgeEvents(
      { purgeRunId: 'run-1', dataClass: 'ledger_payloads', batchNo: 1 },
      toRanges([{ stream: 'beta', seq: 2 }]),
    );
    await ledger.append(purge!.event, { stream: PURGE_EVENT_STREAM, idempotencyKey: purge!.idempotencyKey });
    // Appended after the last signed root: not yet proof.
    expect(await verify('beta')).toMatchObject({ valid: false, fault: 'payload missing', firstBadSeq: 2 });
    await ledger.head();
    expect(await verify('beta')).toMatchObject({ valid: true });
    // It covers beta:2 only.
    expect(await verify('alpha')).toMatchObject({ valid: false, firstBadSeq: 3 });
    const all = await verifyLedger(t.connect('ledgerflow_reader'), { trustedKeys: pinned });
    expect(all.streams.map((s) => [s.stream, s.valid])).toEqual([
      ['alpha', false],
      ['beta', true],
      ['compliance', true],
    ]);
  });
});
