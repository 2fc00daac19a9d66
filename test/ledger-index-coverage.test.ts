import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

interface IndexShape {
  name: string;
  am: string;
  unique: boolean;
  predicate: string | null;
  keys: string[];
}

/** Every index of the two ledger tables every append writes, with its method, key columns and predicate. */
async function ledgerIndexes(): Promise<IndexShape[]> {
  const r = await t.asOwner<{
    name: string;
    am: string;
    unique: boolean;
    predicate: string | null;
    keys: string[];
  }>(
    `SELECT c.relname AS name, a.amname AS am, i.indisunique AS unique,
            pg_get_expr(i.indpred, i.indrelid) AS predicate,
            ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnatts) k) AS keys
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
      WHERE i.indrelid IN ('ledger_events'::regclass, 'ledger_payloads'::regclass)`,
  );
  return r.rows;
}

describe('ledger indexes (each one costs every append a page write)', () => {
  it('no non-unique index is covered by another one (same method and predicate, its keys a prefix)', async () => {
    const all = await ledgerIndexes();
    expect(all.map((i) => i.name)).toContain('ledger_events_workflow_time');
    const covered = all.flatMap((a) =>
      all
        .filter(
          (b) =>
            b.name !== a.name &&
            !a.unique &&
            a.am === b.am &&
            a.am === 'btree' &&
            a.predicate === b.predicate &&
            a.keys.length <= b.keys.length &&
            a.keys.every((k, j) => b.keys[j] === k),
        )
        .map((b) => `${a.name} is covered by ${b.name}`),
    );
    expect(covered).toEqual([]);
  });

  it('workflow-id lookups (authorized starts, the API filter) still read an index', async () => {
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      await c.query('SET enable_seqscan = off');
      const plan = async (where: string) => {
        const r = await c.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT seq FROM ledger_events e WHERE ${where}`,
        );
        return r.rows.map((x) => x['QUERY PLAN']).join('\n');
      };
      for (const where of [
        // services/principals/workflow-starts.ts authorizedStart
        `e.context ? 'workflow_id' AND e.context->>'workflow_id' = 'wf-1' AND e.stream = 'access' AND e.event_type = 'workflow.start_requested'`,
        // services/events/search-sql.ts workflow_id filter
        `e.context ? 'workflow_id' AND e.context->>'workflow_id' = 'wf-1'`,
      ])
        expect(await plan(where)).toMatch(/ledger_events_workflow_time/);
    } finally {
      await c.end();
    }
  });
});
