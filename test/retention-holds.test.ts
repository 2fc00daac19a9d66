import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionRejected } from '../services/retention/errors';
import { listHolds, placeHold, releaseHold } from '../services/retention/holds';
import { syncPolicies } from '../services/retention/policies';
import type { Database } from '../db/client';
import {
  createTestDatabase,
  type TestDatabase,
  TEST_RETENTION_CONFIG,
  addPrincipals,
  appendEvents,
  dbNow,
  waitUntilAged,
  waitFor,
} from './support';
import { createLedger } from '../ledger/ledger';
import { PURGED_PAYLOADS } from './support/purged-payloads';

let t: TestDatabase;
let db: Database;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  await addPrincipals(t, ['alice', 'bob']);
  await syncPolicies(createLedger(db), TEST_RETENTION_CONFIG, { changedBy: 'alice', reason: 'test setup' });
});
afterAll(async () => {
  await t?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

async function client(role: 'ledgerflow_purger' | 'ledgerflow_writer' | 'owner'): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: role === 'owner' ? t.ownerUrl : t.urlFor(role) });
  await c.connect();
  return c;
}

/** Resolves once backend `pid` waits for its SHARE lock on legal_holds (the purge's pre-re-check lock). */
async function waitForShareLockOnHolds(pid: number): Promise<void> {
  await waitFor(
    async () =>
      (await count(
        `SELECT count(*) AS n FROM pg_locks
          WHERE pid = $1 AND NOT granted AND relation = 'legal_holds'::regclass AND mode = 'ShareLock'`,
        [pid],
      )) > 0,
    10_000,
    `backend ${pid} to wait for its SHARE lock on legal_holds`,
    25,
  );
}

describe('legal holds', () => {
  it('a hold committed from a second connection while a purge batch holds its rows is honoured', async () => {
    await appendEvents(db, 5, { prefix: 'race', caseId: () => 'case-race' });
    await appendEvents(db, 3, { prefix: 'free', caseId: () => 'case-free' });
    await waitUntilAged(t, 2_000);
    const asOf = await dbNow(t);

    const purger = await client('ledgerflow_purger');
    const placer = await client('ledgerflow_writer');
    try {
      // Connection B: a hold placement in flight. It holds the lock every hold INSERT takes
      // (ROW EXCLUSIVE on legal_holds) but has not inserted anything yet. A purge batch claims
      // its rows without waiting for it and then waits for it at its SHARE lock, before the
      // re-check. (A lock held by a third connection would not do: B's INSERT would then queue
      // behind the purge's waiting SHARE request instead of landing inside the window.)
      await placer.query('BEGIN');
      await placer.query('LOCK TABLE legal_holds IN ROW EXCLUSIVE MODE');

      // Connection A: the purge batch claims the expired rows (no hold exists yet), then waits.
      const purgerPid = (await purger.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await purger.query('BEGIN');
      let purgeDone = false;
      const purge = purger
        .query<{ r: { purged: number; held_late: number; claimed: number } }>(
          `SELECT retention_purge_batch('race-run', 'ledger_payloads', $1::timestamptz, 100) AS r`,
          [asOf],
        )
        .finally(() => (purgeDone = true));
      await waitForShareLockOnHolds(purgerPid);
      // The batch has claimed its rows and is inside its transaction (waiting before the re-check).
      expect(purgeDone).toBe(false);

      // Connection B: place (and commit) a hold on those rows while A is still open.
      const holdId = randomUUID();
      await placer.query(
        `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
         VALUES ($1, 'case', 'case-race', 'LIT-RACE', 'race', 'alice')`,
        [holdId],
      );
      await placer.query('COMMIT');

      const r = (await purge).rows[0]!.r;
      await purger.query('COMMIT');
      expect(r.held_late).toBe(5);
      expect(r.purged).toBe(r.claimed - 5);
      expect(
        await count(
          `SELECT count(*) AS n FROM ledger_payloads p JOIN ledger_events e USING (stream, seq) WHERE e.case_id = 'case-race'`,
        ),
      ).toBe(5);
      expect(
        await count(
          `SELECT count(*) AS n FROM ledger_payloads p JOIN ledger_events e USING (stream, seq) WHERE e.case_id = 'case-free'`,
        ),
      ).toBe(0);
      const batch = await t.asOwner<{ held_skipped: number }>(
        `SELECT held_skipped FROM retention_purge_batches WHERE purge_run_id = 'race-run'`,
      );
      expect(batch.rows[0]?.held_skipped).toBe(5);
      expect((await listHolds(db)).some((h) => h.holdId === holdId)).toBe(true);
    } finally {
      await placer.end();
      await purger.end();
    }
  });

  it('a hold placement waits for a purge batch that already re-checked holds (no lost hold)', async () => {
    await appendEvents(db, 2, { prefix: 'late', caseId: () => 'case-late' });
    await waitUntilAged(t, 2_000);
    const asOf = await dbNow(t);
    const purger = await client('ledgerflow_purger');
    try {
      await purger.query('BEGIN');
      const r = await purger.query<{ r: { purged: number } }>(
        `SELECT retention_purge_batch('late-run', 'ledger_payloads', $1::timestamptz, 100) AS r`,
        [asOf],
      );
      expect(r.rows[0]!.r.purged).toBeGreaterThanOrEqual(2);
      let placed = false;
      const place = placeHold(createLedger(db), {
        scope: 'case',
        value: 'case-late',
        caseId: 'LIT-LATE',
        reason: 'late',
        placedBy: 'bob',
      }).then(() => (placed = true));
      // Blocked by the purge's SHARE lock on legal_holds: its backend waits for a lock there.
      await waitFor(
        async () =>
          (await count(
            `SELECT count(*) AS n FROM pg_locks WHERE NOT granted AND relation = 'legal_holds'::regclass`,
          )) > 0,
        10_000,
        'the hold placement to wait for the purge',
        25,
      );
      expect(placed).toBe(false);
      await purger.query('COMMIT');
      await place;
      expect(placed).toBe(true);
    } finally {
      await purger.end();
    }
  });

  it('two purge runs racing over the same rows: each payload is purged and certified by exactly one', async () => {
    await appendEvents(db, 4, { prefix: 'dup', caseId: () => 'case-dup' });
    await waitUntilAged(t, 2_000);
    const asOf = await dbNow(t);
    const a = await client('ledgerflow_purger');
    const b = await client('ledgerflow_purger');
    type R = { r: { purged: number; claimed: number } };
    const batch = (run: string) =>
      `SELECT retention_purge_batch('${run}', 'ledger_payloads', $1::timestamptz, 1000) AS r`;
    try {
      await a.query('BEGIN');
      const ra = (await a.query<R>(batch('dup-a'), [asOf])).rows[0]!.r;
      expect(ra.purged).toBeGreaterThanOrEqual(4);
      // B claims the same rows (A has not committed), then waits for A's purge records.
      const bPid = (await b.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await b.query('BEGIN');
      const pb = b.query<R>(batch('dup-b'), [asOf]);
      await waitFor(
        async () =>
          (await count(`SELECT count(*) AS n FROM pg_locks WHERE pid = $1 AND NOT granted`, [bPid])) > 0,
        10_000,
        'the second run to wait for the first run’s purge records',
        25,
      );
      await a.query('COMMIT');
      const rb = (await pb).rows[0]!.r;
      await b.query('COMMIT');
      expect(rb.claimed).toBe(ra.purged);
      expect(rb.purged).toBe(0);
      // The batch digest must be over exactly the payloads its run's records cover, recomputed by
      // the batch's digest version: version 1 ("<stream>:<seq> <payload digest hex>\n" lines, in
      // SQL) and version 2 (SHA-256 over the payload digests, in Node), both in key order.
      const batches = await t.asOwner<{
        run: string;
        purged: number;
        version: number;
        digest: Buffer;
        v1: boolean;
        contents: Buffer[] | null;
      }>(
        `SELECT b.purge_run_id AS run, b.purged, b.digest_version AS version, b.digest,
                b.digest = (SELECT sha256(convert_to(string_agg(p.stream || ':' || p.seq || ' ' || encode(e.payload_digest, 'hex')
                                                                 || E'\\n', '' ORDER BY p.stream, p.seq), 'UTF8'))
                              FROM (${PURGED_PAYLOADS}) p JOIN ledger_events e USING (stream, seq)
                             WHERE p.purge_run_id = b.purge_run_id) AS v1,
                (SELECT array_agg(e.payload_digest ORDER BY p.stream, p.seq)
                   FROM (${PURGED_PAYLOADS}) p JOIN ledger_events e USING (stream, seq)
                  WHERE p.purge_run_id = b.purge_run_id) AS contents
           FROM retention_purge_batches b WHERE b.purge_run_id IN ('dup-a', 'dup-b')`,
      );
      const v2 = (contents: Buffer[] | null) =>
        (contents ?? []).reduce((h, d) => h.update(d), createHash('sha256')).digest();
      const digestOk = (b: (typeof batches.rows)[number]) =>
        b.version === 1 ? b.v1 : b.version === 2 && b.digest.equals(v2(b.contents));
      expect(batches.rows.map((b) => ({ run: b.run, purged: b.purged, ok: digestOk(b) }))).toEqual([
        { run: 'dup-a', purged: ra.purged, ok: true },
      ]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('release needs another principal (four-eyes); bad input is rejected with nothing changed', async () => {
    const hold = await placeHold(createLedger(db), {
      scope: 'data_class',
      value: 'workflow_histories',
      caseId: 'LIT-9',
      reason: 'audit',
      placedBy: 'alice',
    });
    const before = {
      releases: await count('SELECT count(*) AS n FROM legal_hold_releases'),
      holds: await count('SELECT count(*) AS n FROM legal_holds'),
      events: await count('SELECT count(*) AS n FROM ledger_events'),
    };
    const rejected = async (p: Promise<unknown>, re: RegExp) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RetentionRejected);
      expect((err as Error).message).toMatch(re);
    };
    await rejected(
      releaseHold(createLedger(db), { holdId: hold.holdId, releasedBy: 'alice', reason: 'done' }),
      /four-eyes/,
    );
    await rejected(
      releaseHold(createLedger(db), {
        holdId: '00000000-0000-4000-8000-000000000000',
        releasedBy: 'bob',
        reason: 'x',
      }),
      /unknown legal hold/,
    );
    await rejected(
      releaseHold(createLedger(db), { holdId: 'nope', releasedBy: 'bob', reason: 'x' }),
      /unknown legal hold/,
    );
    // An unknown principal is an authorization denial (PrincipalError), not a retention rejection.
    await expect(
      releaseHold(createLedger(db), { holdId: hold.holdId, releasedBy: 'mallory', reason: 'x' }),
    ).rejects.toThrow(/unknown principal/);
    await rejected(
      placeHold(createLedger(db), {
        scope: 'data_class',
        value: 'nope',
        caseId: 'c',
        reason: 'r',
        placedBy: 'alice',
      }),
      /unknown data class/,
    );
    await rejected(
      placeHold(createLedger(db), {
        scope: 'resource',
        value: 'no-type',
        caseId: 'c',
        reason: 'r',
        placedBy: 'alice',
      }),
      /resource hold/,
    );
    await rejected(
      placeHold(createLedger(db), { scope: 'case', value: 'c', caseId: 'c', reason: ' ', placedBy: 'alice' }),
      /reason/,
    );

    // The database enforces four-eyes and unknown holds itself, whoever writes.
    const writer = await client('ledgerflow_writer');
    try {
      await expect(
        writer.query(
          `INSERT INTO legal_hold_releases (hold_id, released_by, reason) VALUES ($1, 'alice', 'x')`,
          [hold.holdId],
        ),
      ).rejects.toThrow(/four-eyes/);
      await expect(
        writer.query(
          `INSERT INTO legal_hold_releases (hold_id, released_by, reason) VALUES ('00000000-0000-4000-8000-000000000001', 'bob', 'x')`,
        ),
      ).rejects.toThrow(/unknown legal hold/);
      await expect(writer.query(`DELETE FROM legal_holds WHERE hold_id = $1`, [hold.holdId])).rejects.toThrow(
        /permission denied|append-only/,
      );
    } finally {
      await writer.end();
    }
    expect(await count('SELECT count(*) AS n FROM legal_hold_releases')).toBe(before.releases);
    expect(await count('SELECT count(*) AS n FROM legal_holds')).toBe(before.holds);
    expect(await count('SELECT count(*) AS n FROM ledger_events')).toBe(before.events);

    const released = await releaseHold(createLedger(db), {
      holdId: hold.holdId,
      releasedBy: 'bob',
      reason: 'matter closed',
    });
    expect(released).toMatchObject({ placedBy: 'alice', releasedBy: 'bob' });
    await rejected(
      releaseHold(createLedger(db), { holdId: hold.holdId, releasedBy: 'bob', reason: 'again' }),
      /already released/,
    );
    expect((await listHolds(db)).some((h) => h.holdId === hold.holdId)).toBe(false);
    expect((await listHolds(db, { all: true })).some((h) => h.holdId === hold.holdId)).toBe(true);
    const ev = await t.asOwner<{ event_type: string; actor_id: string }>(
      `SELECT event_type, actor_id FROM ledger_events WHERE resource_type = 'legal_hold' AND resource_id = $1 ORDER BY seq`,
      [hold.holdId],
    );
    expect(ev.rows).toEqual([
      { event_type: 'legal_hold.placed', actor_id: 'alice' },
      { event_type: 'legal_hold.released', actor_id: 'bob' },
    ]);
  });

  it('the purger role may only execute the purge functions', async () => {
    const purger = await client('ledgerflow_purger');
    try {
      await expect(purger.query(`DELETE FROM ledger_payloads`)).rejects.toThrow(/permission denied/);
      await expect(
        purger.query(`INSERT INTO legal_hold_releases VALUES (gen_random_uuid(), 'x', 'x')`),
      ).rejects.toThrow(/permission denied/);
      await expect(purger.query(`SELECT * FROM legal_holds`)).rejects.toThrow(/permission denied/);
      await expect(purger.query(`SELECT retention_source('ledger_payloads')`)).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await purger.end();
    }
  });
});
