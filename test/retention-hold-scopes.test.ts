import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncPolicies } from '../services/retention/policies';
import { createLedger } from '../ledger/ledger';
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

/**
 * The purge's claim checks only the hold scopes that have an active hold when the batch starts.
 * A hold of a scope nobody used before, committed while the batch waits for its SHARE lock, must
 * still protect its rows: the re-check under the lock checks every scope.
 */
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

describe('hold scopes in the purge claim', () => {
  it('a subject hold (the first hold of any scope) committed while a batch waits for its lock is honoured', async () => {
    await appendEvents(db, 4, { prefix: 'scope', subjectId: () => 'subj-new' });
    await appendEvents(db, 2, { prefix: 'other', subjectId: () => 'subj-other' });
    await waitUntilAged(t, 2_000);
    expect(await count('SELECT count(*) AS n FROM legal_holds')).toBe(0);
    const asOf = await dbNow(t);

    const purger = new pg.Client({ connectionString: t.urlFor('ledgerflow_purger') });
    const placer = new pg.Client({ connectionString: t.urlFor('ledgerflow_writer') });
    await purger.connect();
    await placer.connect();
    try {
      // A hold placement in flight (the lock every hold INSERT takes), nothing inserted yet.
      await placer.query('BEGIN');
      await placer.query('LOCK TABLE legal_holds IN ROW EXCLUSIVE MODE');
      const pid = (await purger.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await purger.query('BEGIN');
      const purge = purger.query<{ r: { purged: number; held_late: number; claimed: number } }>(
        `SELECT retention_purge_batch('scope-run', 'ledger_payloads', $1::timestamptz, 100) AS r`,
        [asOf],
      );
      // The batch claimed (checking no hold scope: there is no hold) and waits for its SHARE lock.
      await waitFor(
        async () =>
          (await count(
            `SELECT count(*) AS n FROM pg_locks
              WHERE pid = $1 AND NOT granted AND relation = 'legal_holds'::regclass AND mode = 'ShareLock'`,
            [pid],
          )) > 0,
        10_000,
        'the purge batch to wait for its SHARE lock on legal_holds',
        25,
      );
      await placer.query(
        `INSERT INTO legal_holds (hold_id, scope, scope_value, case_id, reason, placed_by)
         VALUES ($1, 'subject', 'subj-new', 'LIT-SCOPE', 'scope', 'alice')`,
        [randomUUID()],
      );
      await placer.query('COMMIT');
      const r = (await purge).rows[0]!.r;
      await purger.query('COMMIT');
      expect(r.held_late).toBe(4);
      expect(r.purged).toBe(r.claimed - 4);
      const left = (subject: string) =>
        count(
          `SELECT count(*) AS n FROM ledger_payloads p JOIN ledger_events e USING (stream, seq) WHERE e.subject_id = $1`,
          [subject],
        );
      expect(await left('subj-new')).toBe(4);
      expect(await left('subj-other')).toBe(0);
    } finally {
      await placer.end();
      await purger.end();
    }
  });
});
