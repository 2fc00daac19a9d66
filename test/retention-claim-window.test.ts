import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support';
import { collectPlans, nodeTypes, tableReads } from './support/plans';

/**
 * The purge claims ledger payloads within a window of the next payloads after its cursor. Where the
 * window lies in one stream whose events mostly carry payloads, the claim reads the window's events
 * as one key range beside the payloads (merge join) instead of one look-up per payload; where the
 * payloads are sparse among their stream's events, or the window spans streams, it looks events up
 * by key and never reads the events between them. Either way each batch claims the next `limit`
 * expired, not-held payloads, and its record (count, first and last key, digest) describes exactly
 * the payloads it deleted.
 *
 * Data: stream cw-a, 40 events all with payloads, seqs 5-7 under a case hold; cw-b, 50 events
 * without payloads; cw-c, 100 events with a payload on every 10th. Batches of 8.
 */
let t: TestDatabase;
let c: pg.Client;
const LIMIT = 8;

beforeAll(async () => {
  t = await createTestDatabase();
  c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  await c.query(
    `INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at, resource_type,
       resource_id, action, outcome, subject_id, case_id, context, schema_version, idempotency_key, payload_digest,
       prev_hash, hash)
     SELECT st, s, gen_random_uuid(), 'test.personal_data', 'service', 'test', now() - interval '10 days',
            'application', 'app-' || s, 'record', 'success', 'subj-' || s,
            CASE WHEN st = 'cw-a' AND s BETWEEN 5 AND 7 THEN 'cw-held' ELSE 'case-' || s END, '{}', 1, 'k' || s,
            sha256(convert_to(st || s, 'UTF8')), sha256(convert_to((s - 1)::text, 'UTF8')), sha256(convert_to(s::text, 'UTF8'))
       FROM (VALUES ('cw-a', 40), ('cw-b', 50), ('cw-c', 100)) AS v(st, n), generate_series(1, v.n) s`,
  );
  await c.query(
    `INSERT INTO ledger_payloads (stream, seq, salt, payload)
     SELECT e.stream, e.seq, decode(md5(e.seq::text), 'hex'), jsonb_build_object('n', e.seq)
       FROM ledger_events e WHERE e.stream = 'cw-a' OR (e.stream = 'cw-c' AND e.seq % 10 = 0)`,
  );
  await c.query(
    `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
     VALUES (gen_random_uuid(), 'case', 'cw-held', 'CASE-CW', 'test', 'test')`,
  );
  await c.query(
    `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action,
       legal_minimum_seconds, changed_by, reason)
     VALUES ('cw', 1, '{ledger_payloads}', 86400, 'P1D', 'created', 'purge_payload', 0, 'test', 'test')`,
  );
  await c.query('VACUUM ANALYZE ledger_events, ledger_payloads');
});
afterAll(async () => {
  await c.end().catch(() => undefined);
  await t.drop();
});

type Batch = { purged: number; claimed: number; done: boolean; cursor: unknown; batch_no: number };

describe('retention purge claim windows', () => {
  it('claims the next expired, not-held payloads per batch: a merge over dense windows, look-ups elsewhere', async () => {
    const payloads = async () =>
      new Set(
        (await c.query<{ k: string }>(`SELECT stream || ':' || seq AS k FROM ledger_payloads`)).rows.map(
          (r) => r.k,
        ),
      );
    const { plansOf } = await collectPlans(c);
    const batches: Array<{ r: Batch; deleted: string[]; claim: ReturnType<typeof plansOf>[number] }> = [];
    let cursor: unknown = null;
    for (let i = 0; i < 10; i++) {
      const before = await payloads();
      await c.query('BEGIN');
      const r = (
        await c.query<{ r: Batch }>(
          `SELECT retention_purge_batch('cw-run', 'ledger_payloads', now() - interval '1 second', $1, $2::jsonb) AS r`,
          [LIMIT, cursor === null ? null : JSON.stringify(cursor)],
        )
      ).rows[0]!.r;
      await c.query('COMMIT');
      const after = await payloads();
      const claims = plansOf('SELECT array_agg(c.tid');
      batches.push({
        r,
        deleted: [...before].filter((k) => !after.has(k)),
        claim: claims[claims.length - 1]!,
      });
      cursor = r.cursor;
      if (r.done) break;
    }
    await c.query(`SET client_min_messages = notice`);

    // 37 payloads of cw-a (3 held) and 10 of cw-c: five full batches and a last one of 7.
    expect(batches.map((b) => [b.r.claimed, b.r.purged, b.r.done])).toEqual([
      [8, 8, false],
      [8, 8, false],
      [8, 8, false],
      [8, 8, false],
      [8, 8, false],
      [7, 7, true],
    ]);
    expect([...(await payloads())].sort()).toEqual(['cw-a:5', 'cw-a:6', 'cw-a:7']);

    // Batch 1: a dense one-stream window, merged; it reads its 11 payloads (3 held) and their events.
    expect(nodeTypes(batches[0]!.claim.Plan)).toContain('Merge Join');
    expect(tableReads(batches[0]!.claim.Plan)).toEqual({ ledger_payloads: 11, ledger_events: 11 });
    // Batch 5 spans cw-a and cw-c, batch 6 lies in cw-c (a payload every 10th event): looked up
    // by key; the events without payloads (all of cw-b, 9 in 10 of cw-c) are not read.
    for (const b of [batches[4]!, batches[5]!]) {
      expect(nodeTypes(b.claim.Plan)).not.toContain('Merge Join');
      expect(tableReads(b.claim.Plan).ledger_events).toBe(b.r.claimed);
    }

    // Every batch record: exactly the payloads that batch deleted, in key order (the digest by the
    // batch's version: 2 = SHA-256 over the events' payload digests; 1 = "<key> <hex>\n" lines).
    const records = await c.query<{
      batch_no: number;
      purged: number;
      first_key: string;
      last_key: string;
      ok: boolean;
    }>(
      `SELECT b.batch_no, b.purged, b.first_key, b.last_key,
              b.digest = (SELECT CASE b.digest_version
                                   WHEN 2 THEN sha256(string_agg(e.payload_digest, ''::bytea ORDER BY e.stream, e.seq))
                                   WHEN 1 THEN sha256(convert_to(string_agg(e.stream || ':' || e.seq || ' ' || encode(e.payload_digest, 'hex')
                                                                            || E'\\n', '' ORDER BY e.stream, e.seq), 'UTF8')) END
                            FROM ledger_events e
                           WHERE e.stream || ':' || e.seq IN (SELECT jsonb_array_elements_text($1::jsonb -> (b.batch_no - 1)))) AS ok
         FROM retention_purge_batches b WHERE b.purge_run_id = 'cw-run' ORDER BY b.batch_no`,
      [JSON.stringify(batches.map((b) => b.deleted))],
    );
    const order = (k: string) =>
      [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))] as const;
    const sorted = (keys: string[]) =>
      [...keys].sort((x, y) => {
        const [sx, nx] = order(x);
        const [sy, ny] = order(y);
        return sx === sy ? nx - ny : sx < sy ? -1 : 1;
      });
    expect(records.rows).toEqual(
      batches.map((b, i) => ({
        batch_no: i + 1,
        purged: b.deleted.length,
        first_key: sorted(b.deleted)[0],
        last_key: sorted(b.deleted).at(-1),
        ok: true,
      })),
    );
  });
});
