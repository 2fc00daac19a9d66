import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommittedEvent } from '../core/audit-event';
import { canonicalJson } from '../core/canonical-json';
import { parseCheckpoint, signCheckpoint } from '../core/checkpoint';
import { canonicalEnvelope, chainHash, GENESIS_HASH, payloadDigest } from '../core/hash-chain';
import { CompactRange, leafHash } from '../core/merkle';
import { signerFrom, type PublicKeyInfo, type Signer } from '../core/signing';
import { formatMicros } from '../core/time';
import type { Database } from '../db/client';
import { PURGE_EVENT_STREAM, purgeEvents, toRanges } from '../ledger/purge-events';
import { createLedger, type Ledger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
let writer: Database;
let writerLedger: Ledger;
let reader: Database;
const newSigner = (): Signer => signerFrom(generateKeyPairSync('ed25519').privateKey);
const genuine = newSigner();
const attacker = newSigner();
const pinned = new Map<string, PublicKeyInfo>([[genuine.keyId, genuine]]);
const N = 40;

beforeAll(async () => {
  t = await createTestDatabase();
  writer = t.connect('ledgerflow_writer');
  reader = t.connect('ledgerflow_reader');
  writerLedger = createLedger(writer, { signer: genuine, checkpointEvery: 10 });
});
afterAll(() => t.drop());

/** Appends N events in 4 batches of 10, so the cadence makes checkpoints at 10, 20, 30, 40. */
async function seed(stream: string): Promise<void> {
  for (let b = 0; b < N / 10; b++) {
    await writerLedger.appendMany(
      Array.from({ length: 10 }, (_, i) => ({
        event: sampleEvent({ payload: { n: b * 10 + i + 1, who: 'alice' } }),
        idempotencyKey: `${stream}-${b * 10 + i}`,
      })),
      { stream },
    );
  }
}

/** Runs statements as a superuser that switched triggers off: the malicious DBA. */
async function asDba(sql: string, params?: unknown[]) {
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    return await c.query(sql, params);
  } finally {
    await c.end();
  }
}

const verify = (stream: string, extra: Parameters<typeof verifyLedger>[1] = {}) =>
  verifyLedger(reader, { stream, trustedKeys: pinned, ...extra });

/** Moves rows seq >= from by `delta` in events and payloads (through negatives to dodge the primary key). */
async function shift(stream: string, from: number, delta: number): Promise<void> {
  for (const table of ['ledger_events', 'ledger_payloads']) {
    await asDba(`UPDATE ${table} SET seq = -seq WHERE stream = '${stream}' AND seq >= ${from}`);
    await asDba(`UPDATE ${table} SET seq = -seq + (${delta}) WHERE stream = '${stream}' AND seq < 0`);
  }
}

interface DbEvent {
  event: CommittedEvent;
  digest: Buffer;
  hash: Buffer;
}

async function readEvents(stream: string): Promise<DbEvent[]> {
  const r = await t.asOwner(
    `SELECT seq, event_id, event_type, actor_type, actor_id, ((extract(epoch FROM occurred_at) * 1000000)::bigint)::text AS us,
            resource_type, resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key,
            payload_digest, hash
       FROM ledger_events WHERE stream = $1 ORDER BY seq`,
    [stream],
  );
  return r.rows.map((x) => ({
    event: {
      stream,
      seq: Number(x.seq),
      event_id: x.event_id,
      event_type: x.event_type,
      actor: { type: x.actor_type, id: x.actor_id },
      occurred_at: formatMicros(x.us),
      resource: { type: x.resource_type, id: x.resource_id },
      action: x.action,
      outcome: x.outcome,
      subject_id: x.subject_id,
      case_id: x.case_id,
      context: x.context,
      schema_version: x.schema_version,
      idempotency_key: x.idempotency_key,
    },
    digest: x.payload_digest,
    hash: x.hash,
  }));
}

describe('verify catches a malicious DBA', () => {
  it('accepts an untouched ledger, including a sanctioned purge', async () => {
    await seed('clean');
    await t.asOwner(
      `INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason) VALUES ('clean', 5, 'run-1', 'retention')`,
    );
    await t.asOwner(`DELETE FROM ledger_payloads WHERE stream = 'clean' AND seq = 5`);
    // Sanctioned: a chained purge event covers it, within a signed root of the purge stream.
    const [purge] = purgeEvents(
      { purgeRunId: 'run-1', dataClass: 'ledger_payloads', batchNo: 1 },
      toRanges([{ stream: 'clean', seq: 5 }]),
    );
    await writerLedger.append(purge!.event, {
      stream: PURGE_EVENT_STREAM,
      idempotencyKey: purge!.idempotencyKey,
    });
    await writerLedger.checkpoint({ stream: PURGE_EVENT_STREAM });
    const r = await verify('clean');
    expect(r).toMatchObject({
      valid: true,
      stream: 'clean',
      eventsChecked: N,
      firstBadSeq: null,
      fault: null,
    });
    // 4 cadence checkpoints, each also listed by the ledger head signed right after it
    expect(r.streams[0]?.checkpointsChecked).toBe(8);
    expect(r.streams[0]?.provenTreeSize).toBe(N);
    const from = await verify('clean', { fromSeq: 15 });
    expect(from).toMatchObject({ valid: true, eventsChecked: N - 14 });
    expect(from.streams[0]?.checkpointsChecked).toBe(6);
  });

  it('payload deleted without a purge record', async () => {
    await seed('nopurge');
    await asDba(`DELETE FROM ledger_payloads WHERE stream = 'nopurge' AND seq = 8`);
    expect(await verify('nopurge')).toMatchObject({ valid: false, firstBadSeq: 8, fault: 'payload missing' });
  });

  it('payload changed', async () => {
    await seed('payload');
    await asDba(
      `UPDATE ledger_payloads SET payload = '{"n": 17, "who": "mallory"}' WHERE stream = 'payload' AND seq = 17`,
    );
    expect(await verify('payload')).toMatchObject({
      valid: false,
      firstBadSeq: 17,
      fault: 'payload changed',
    });
  });

  it('event changed', async () => {
    await seed('edit');
    await asDba(`UPDATE ledger_events SET outcome = 'denied' WHERE stream = 'edit' AND seq = 23`);
    expect(await verify('edit')).toMatchObject({ valid: false, firstBadSeq: 23, fault: 'event changed' });
  });

  it('event deleted (with and without renumbering)', async () => {
    await seed('del');
    await asDba(
      `DELETE FROM ledger_events WHERE stream = 'del' AND seq = 12; DELETE FROM ledger_payloads WHERE stream = 'del' AND seq = 12`,
    );
    expect(await verify('del')).toMatchObject({ valid: false, firstBadSeq: 12, fault: 'event deleted' });
    await seed('del2');
    await asDba(
      `DELETE FROM ledger_events WHERE stream = 'del2' AND seq = 12; DELETE FROM ledger_payloads WHERE stream = 'del2' AND seq = 12`,
    );
    await shift('del2', 13, -1);
    expect(await verify('del2')).toMatchObject({ valid: false, firstBadSeq: 12, fault: 'event deleted' });
  });

  it('forged event inserted with a correct hash', async () => {
    await seed('ins');
    const before = (await readEvents('ins'))[13] as DbEvent; // seq 14
    await shift('ins', 15, 1);
    const salt = randomBytes(16);
    const payload = canonicalJson({ n: 0, who: 'mallory' });
    const digest = payloadDigest(salt, payload);
    const forged: CommittedEvent = {
      ...before.event,
      seq: 15,
      event_id: randomUUID(),
      idempotency_key: 'forged',
    };
    const hash = chainHash(before.hash, 15, canonicalEnvelope(forged), digest);
    await asDba(
      `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type, resource_id,
         action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest, prev_hash, hash)
       SELECT stream, 15, $1, event_type, actor_type, actor_id, occurred_at, resource_type, resource_id, action, outcome,
              subject_id, case_id, context, schema_version, 'forged', $2, $3, $4
         FROM ledger_events WHERE stream = 'ins' AND seq = 14`,
      [forged.event_id, digest, before.hash, hash],
    );
    await asDba(`INSERT INTO ledger_payloads (stream, seq, salt, payload) VALUES ('ins', 15, $1, $2)`, [
      salt,
      payload,
    ]);
    expect(await verify('ins')).toMatchObject({ valid: false, firstBadSeq: 15, fault: 'event inserted' });
  });

  it('two events swapped', async () => {
    await seed('swap');
    for (const table of ['ledger_events', 'ledger_payloads']) {
      await asDba(`UPDATE ${table} SET seq = -seq WHERE stream = 'swap' AND seq IN (25, 26)`);
      await asDba(
        `UPDATE ${table} SET seq = CASE seq WHEN -25 THEN 26 ELSE 25 END WHERE stream = 'swap' AND seq < 0`,
      );
    }
    expect(await verify('swap')).toMatchObject({ valid: false, firstBadSeq: 25, fault: 'order changed' });
  });

  it('tail truncated after a checkpoint', async () => {
    await seed('trunc');
    await asDba(
      `DELETE FROM ledger_events WHERE stream = 'trunc' AND seq > 33; DELETE FROM ledger_payloads WHERE stream = 'trunc' AND seq > 33`,
    );
    expect(await verify('trunc')).toMatchObject({
      valid: false,
      firstBadSeq: 34,
      fault: 'tail truncated after a checkpoint',
    });
  });

  it('checkpoint replaced (re-signed by a key the attacker added)', async () => {
    await seed('cpswap');
    await asDba(`INSERT INTO ledger_signing_keys (key_id, public_key) VALUES ($1, $2)`, [
      attacker.keyId,
      attacker.publicKey,
    ]);
    const old = parseCheckpoint(
      (
        await t.asOwner(
          `SELECT checkpoint FROM ledger_checkpoints WHERE stream = 'cpswap' AND tree_size = 20`,
        )
      ).rows[0]?.checkpoint as string,
    );
    const fake = signCheckpoint({ ...old, rootHash: randomBytes(32) }, attacker);
    await asDba(
      `UPDATE ledger_checkpoints SET checkpoint = '${fake}', key_id = '${attacker.keyId}' WHERE stream = 'cpswap' AND tree_size = 20`,
    );
    // firstBadSeq is the first seq no trusted root proved before the bad checkpoint (10 is proven),
    // even though the honest head at 20 proves the events themselves.
    expect(await verify('cpswap')).toMatchObject({
      valid: false,
      firstBadSeq: 11,
      fault: 'checkpoint signature invalid',
    });
  });

  it('history rewritten with every later hash, root and checkpoint recomputed: caught only via pinned keys and the trusted checkpoint', async () => {
    const stream = 'rewrite';
    await seed(stream);
    const trustedCheckpoint = parseCheckpoint(
      (
        await t.asOwner(
          `SELECT checkpoint FROM ledger_checkpoints WHERE stream = $1 ORDER BY tree_size DESC LIMIT 1`,
          [stream],
        )
      ).rows[0]?.checkpoint as string,
    );
    // The attacker edits seq 17, re-chains 17..40, replaces checkpoints 20..40 and adds their key to the database.
    await asDba(`UPDATE ledger_events SET outcome = 'denied' WHERE stream = '${stream}' AND seq = 17`);
    const events = await readEvents(stream);
    let prev: Buffer = GENESIS_HASH;
    const range = new CompactRange();
    for (const e of events) {
      const hash = chainHash(prev, e.event.seq, canonicalEnvelope(e.event), e.digest);
      if (e.event.seq >= 17) {
        await asDba(
          `UPDATE ledger_events SET prev_hash = $1, hash = $2 WHERE stream = '${stream}' AND seq = ${e.event.seq}`,
          [prev, hash],
        );
      }
      range.append(leafHash(hash));
      if (e.event.seq % 10 === 0 && e.event.seq >= 20) {
        const text = signCheckpoint(
          { stream, treeSize: e.event.seq, rootHash: range.root(), timestamp: trustedCheckpoint.timestamp },
          attacker,
        );
        await asDba(
          `UPDATE ledger_checkpoints SET checkpoint = $1, root_hash = $2, key_id = $3, frontier = $4 WHERE stream = '${stream}' AND tree_size = ${e.event.seq}`,
          [text, range.root(), attacker.keyId, range.toBytes()],
        );
      }
      prev = hash;
    }
    await asDba(
      `INSERT INTO ledger_signing_keys (key_id, public_key) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
      [attacker.keyId, attacker.publicKey],
    );
    // Honest signed heads would still list the original root: this attacker deletes them too.
    const caughtByHeads = await verify(stream);
    expect(caughtByHeads.valid).toBe(false);
    await asDba('DELETE FROM ledger_heads');

    // The database vouches for itself: without outside trust anchors the rewrite is invisible.
    const blind = await verifyLedger(reader, { stream });
    expect(blind.valid).toBe(true);
    expect(blind.keysPinned).toBe(false);
    expect(blind.warnings.join(' ')).toMatch(/prove nothing/);

    const withKeys = await verify(stream);
    expect(withKeys).toMatchObject({ valid: false, fault: 'checkpoint signature invalid', firstBadSeq: 11 });
    expect(withKeys.suspectRange?.[0]).toBeLessThanOrEqual(17);
    expect(withKeys.suspectRange?.[1]).toBeGreaterThanOrEqual(17);

    const withCheckpoint = await verifyLedger(reader, { stream, trustedCheckpoint });
    expect(withCheckpoint).toMatchObject({ valid: false, fault: 'event changed', firstBadSeq: 1 });
    const both = await verify(stream, { trustedCheckpoint });
    expect(both.valid).toBe(false);
    expect(both.firstBadSeq).toBe(11);
    expect(both.suspectRange?.[1]).toBeGreaterThanOrEqual(17);
  });

  it('reports a truncation below the trusted checkpoint even when the attacker removed the checkpoints too', async () => {
    await seed('trunc2');
    await writerLedger.checkpoint({ stream: 'trunc2' });
    const tc = parseCheckpoint(
      (
        await t.asOwner(
          `SELECT checkpoint FROM ledger_checkpoints WHERE stream = 'trunc2' ORDER BY tree_size DESC LIMIT 1`,
        )
      ).rows[0]?.checkpoint as string,
    );
    await asDba(
      `DELETE FROM ledger_events WHERE stream = 'trunc2' AND seq > 35; DELETE FROM ledger_checkpoints WHERE stream = 'trunc2' AND tree_size > 35`,
    );
    expect(await verify('trunc2')).toMatchObject({
      valid: false,
      fault: 'tail truncated after a checkpoint',
    });
    await asDba('DELETE FROM ledger_heads');
    expect(await verify('trunc2')).toMatchObject({ valid: true });
    expect(await verify('trunc2', { trustedCheckpoint: tc })).toMatchObject({
      valid: false,
      firstBadSeq: 36,
      fault: 'tail truncated after a checkpoint',
    });
  });
});
