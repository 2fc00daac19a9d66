import { generateKeyPairSync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { createLedger, type Ledger } from '../ledger/ledger';
import { PURGE_EVENT_STREAM, purgeEvents, toRanges } from '../ledger/purge-events';
import { verifyLedger } from '../ledger/verify';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';
import { waitFor } from './support/wait';

/**
 * A retention batch records its purged payloads as ranges: one `ledger_payload_purges` row per run
 * of consecutive seqs it deleted (seq..seq_to), instead of one row per payload. The guard accepts
 * exactly the payloads a record covers, and verification treats a payload under a range record
 * exactly as one under a single-seq record (a signed purge event is still the proof).
 */
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);
let t: TestDatabase;
let ledger: Ledger;

beforeAll(async () => {
  t = await createTestDatabase();
  ledger = createLedger(t.connect(), { signer, checkpointEvery: 100 });
  const streams: Array<[string, number]> = [
    ['r', 10],
    ['s', 3],
  ];
  for (const [stream, n] of streams)
    await ledger.appendMany(
      Array.from({ length: n }, (_, i) => ({
        event: sampleEvent({ payload: { i }, case_id: stream === 'r' && i === 3 ? 'case-held' : null }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  await ledger.head();
  await t.asOwner(
    `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
       legal_minimum_seconds, changed_by, reason)
     VALUES ('ranges', 1, '{ledger_payloads}', 1, 'PT1S', 'created', 'purge_payload', 0, 'test', 'test')`,
  );
  await t.asOwner(
    `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
     VALUES (gen_random_uuid(), 'case', 'case-held', 'CASE-1', 'test', 'test')`,
  );
});
afterAll(() => t.drop());

/** Runs one statement as the owner and returns the error message, or null when it succeeded. */
async function ownerError(sql: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query(sql);
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await c.end();
  }
}

const verify = (stream: string) =>
  verifyLedger(t.connect('ledgerflow_reader'), { stream, trustedKeys: pinned });

describe('purge records as seq ranges', () => {
  it('a batch writes one record per run of consecutive purged seqs; the held payload splits the run', async () => {
    await waitFor(
      async () =>
        (
          await t.asOwner(
            `SELECT clock_timestamp() - interval '1 second' > max(occurred_at) AS ok FROM ledger_events WHERE stream IN ('r', 's')`,
          )
        ).rows[0]?.ok === true,
      10_000,
      'the payloads expire (1 s policy)',
    );
    const purge = t.connect('ledgerflow_purger');
    const c = await purge.$client.connect();
    try {
      await c.query('BEGIN');
      const r = await c.query(
        `SELECT retention_purge_batch('ranges-run', 'ledger_payloads', clock_timestamp(), 100, NULL) AS r`,
      );
      await c.query('COMMIT');
      expect(r.rows[0].r).toMatchObject({ purged: 9 + 3, claimed: 12, held_late: 0 });
    } finally {
      c.release();
    }
    const records = await t.asOwner(
      `SELECT stream, seq::int, seq_to::int FROM ledger_payload_purges WHERE purge_run_id = 'ranges-run' ORDER BY 1, 2`,
    );
    expect(records.rows).toEqual([
      { stream: 'r', seq: 1, seq_to: 3 },
      { stream: 'r', seq: 5, seq_to: 10 },
      { stream: 's', seq: 1, seq_to: 3 },
    ]);
    const left = await t.asOwner(`SELECT stream, seq::int FROM ledger_payloads WHERE stream IN ('r', 's')`);
    expect(left.rows).toEqual([{ stream: 'r', seq: 4 }]);
  });

  it('verification accepts the range-covered payloads once a signed purge event covers them', async () => {
    // The stream is not valid before the purge event (the record alone is not proof)...
    expect(await verify('r')).toMatchObject({ valid: false, fault: 'payload missing', firstBadSeq: 1 });
    const keys = await t.asOwner<{ stream: string; seq: string; seq_to: string }>(
      `SELECT stream, seq, seq_to FROM ledger_payload_purges WHERE purge_run_id = 'ranges-run'`,
    );
    const ranges = toRanges(
      keys.rows.map((k) => ({ stream: k.stream, seq: Number(k.seq), seqTo: Number(k.seq_to) })),
    );
    for (const item of purgeEvents(
      { purgeRunId: 'ranges-run', dataClass: 'ledger_payloads', batchNo: 1 },
      ranges,
    ))
      await ledger.append(item.event, { stream: PURGE_EVENT_STREAM, idempotencyKey: item.idempotencyKey });
    await ledger.head();
    // ...and valid after: every seq of every range, on both streams.
    expect(await verify('r')).toMatchObject({ valid: true });
    expect(await verify('s')).toMatchObject({ valid: true });
  });

  it('the guard allows a delete only inside a record: not the held seq between two ranges, not past a range', async () => {
    await ledger.appendMany(
      Array.from({ length: 5 }, (_, i) => ({
        event: sampleEvent({ payload: { i } }),
        idempotencyKey: `manual-${i}`,
      })),
      { stream: 'manual' },
    );
    expect(await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'r' AND seq = 4`)).toMatch(
      /ledger_payloads is append-only: DELETE of r\/4 is allowed only through a recorded purge/,
    );
    await t.asOwner(
      `INSERT INTO ledger_payload_purges (stream, seq, seq_to, purge_run_id, reason) VALUES ('manual', 1, 3, 'm', 'test')`,
    );
    // Inside the record (which starts before the deleted seq): allowed.
    expect(await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'manual' AND seq = 2`)).toBeNull();
    // One row inside, one past the record's end: the statement is refused as a whole.
    expect(await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'manual' AND seq IN (3, 4)`)).toMatch(
      /DELETE of manual\/4 is allowed only through a recorded purge/,
    );
    expect(
      await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'manual' AND seq IN (1, 3)`),
    ).toBeNull();
    expect(await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'manual' AND seq = 5`)).toMatch(
      /DELETE of manual\/5 is allowed only through a recorded purge/,
    );
    const left = await t.asOwner(`SELECT seq::int FROM ledger_payloads WHERE stream = 'manual' ORDER BY 1`);
    expect(left.rows.map((r) => r.seq)).toEqual([4, 5]);
  });

  it('the guard counts the furthest record end so far (a long record over a later short one) and checks every stream of a statement', async () => {
    for (const stream of ['reach-a', 'reach-b'])
      await ledger.appendMany(
        Array.from({ length: 6 }, (_, i) => ({
          event: sampleEvent({ payload: { i } }),
          idempotencyKey: `${stream}-${i}`,
        })),
        { stream },
      );
    await t.asOwner(
      `INSERT INTO ledger_payload_purges (stream, seq, seq_to, purge_run_id, reason)
       VALUES ('reach-a', 1, 5, 'm', 'test'), ('reach-a', 2, NULL, 'm', 'test'), ('reach-b', 3, NULL, 'm', 'test')`,
    );
    // reach-a/4 lies past the last record starting before it (2..2) but inside 1..5: covered.
    expect(
      await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'reach-a' AND seq IN (1, 4)`),
    ).toBeNull();
    // One statement over two streams: reach-b/4 has no record, so nothing is deleted.
    expect(
      await ownerError(
        `DELETE FROM ledger_payloads WHERE (stream = 'reach-a' AND seq = 2) OR (stream = 'reach-b' AND seq IN (3, 4))`,
      ),
    ).toMatch(/DELETE of reach-b\/4 is allowed only through a recorded purge/);
    expect(await ownerError(`DELETE FROM ledger_payloads WHERE stream = 'reach-a' AND seq = 6`)).toMatch(
      /DELETE of reach-a\/6 is allowed only through a recorded purge/,
    );
    const left = await t.asOwner(
      `SELECT stream || '/' || seq AS k FROM ledger_payloads WHERE stream LIKE 'reach-%' ORDER BY stream, seq`,
    );
    expect(left.rows.map((r) => r.k)).toEqual([
      'reach-a/2',
      'reach-a/3',
      'reach-a/5',
      'reach-a/6',
      ...[1, 2, 3, 4, 5, 6].map((i) => `reach-b/${i}`),
    ]);
  });
  it('a dense one-stream batch takes its runs from the claim: a held payload and an event without one split them', async () => {
    // Stream aa-dense (first in key order): events 1..40, payloads on all but 7 and 20, seq 4 held.
    await t.asOwner(
      `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
         resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest,
         prev_hash, hash)
       SELECT 'aa-dense', s, gen_random_uuid(), 'test.personal_data', 'service', 'test', now() - interval '10 days',
              'application', 'x-' || s, 'record', 'success', NULL, 'case-aa-' || s, '{}', 1, 'aa' || s,
              sha256(convert_to('aa' || s, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
         FROM generate_series(1, 40) s`,
    );
    await t.asOwner(
      `INSERT INTO ledger_payloads (stream, seq, salt, payload)
       SELECT 'aa-dense', s, decode(md5(s::text), 'hex'), jsonb_build_object('n', s) FROM generate_series(1, 40) s
        WHERE s NOT IN (7, 20)`,
    );
    await t.asOwner(
      `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
       VALUES (gen_random_uuid(), 'case', 'case-aa-4', 'CASE-AA', 'test', 'test')`,
    );
    const c = await t.connect('ledgerflow_purger').$client.connect();
    const batch = async (cursor: unknown) => {
      await c.query('BEGIN');
      const r = await c.query<{ r: { purged: number; claimed: number; cursor: unknown } }>(
        `SELECT retention_purge_batch('dense-run', 'ledger_payloads', clock_timestamp(), 8, $1::jsonb) AS r`,
        [cursor === null ? null : JSON.stringify(cursor)],
      );
      await c.query('COMMIT');
      return r.rows[0]!.r;
    };
    try {
      const first = await batch(null);
      expect(first).toMatchObject({ purged: 8, claimed: 8, cursor: ['aa-dense', 10] });
      expect(await batch(first.cursor)).toMatchObject({ purged: 8, claimed: 8, cursor: ['aa-dense', 18] });
    } finally {
      c.release();
    }
    const records = await t.asOwner(
      `SELECT seq::int, seq_to::int FROM ledger_payload_purges WHERE purge_run_id = 'dense-run' ORDER BY seq`,
    );
    expect(records.rows).toEqual([
      { seq: 1, seq_to: 3 },
      { seq: 5, seq_to: 6 },
      { seq: 8, seq_to: 10 },
      { seq: 11, seq_to: 18 },
    ]);
    const left = await t.asOwner(
      `SELECT seq::int FROM ledger_payloads WHERE stream = 'aa-dense' AND seq < 21 ORDER BY seq`,
    );
    expect(left.rows.map((r) => r.seq)).toEqual([4, 19]);
  });
});
