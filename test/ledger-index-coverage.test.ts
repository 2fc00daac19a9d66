import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEventsFixture } from '../bench/api/fixture';
import { queryEvents } from '../ledger/query';
import { buildTimeline } from '../services/archive/timeline';
import { EventSearchSchema, filterOf } from '../services/events/filter';
import { searchSql } from '../services/events/search-sql';
import { authorizedStart, authorizedUpdater } from '../services/principals/workflow-starts';
import { createTestDatabase, type TestDatabase } from './support';
import { tableReads, type PlanNode } from './support/plans';

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

  it('every workflow-id lookup (starts, updates, timelines, CLI and API filters) reads only its rows', async () => {
    // 60,000 events, 30,000 workflows (two events each), after ANALYZE, default planner settings.
    // The statements the real functions send are captured and run again under EXPLAIN ANALYZE: a
    // lookup the partial index cannot serve reads the whole table (a scan, or the time index).
    await buildEventsFixture(t.ownerUrl, 60_000, { logged: false });
    const db = t.connect('ledgerflow_reader');
    const sent: Array<{ text: string; values: unknown[] }> = [];
    const query = db.$client.query.bind(db.$client) as (text: string, values?: unknown[]) => Promise<unknown>;
    Object.assign(db.$client, {
      query: (text: string, values?: unknown[]) => {
        if (/workflow_id/.test(text)) sent.push({ text, values: values ?? [] });
        return query(text, values);
      },
    });
    await authorizedStart(db, 'wf-4242', 'loanOrigination');
    await authorizedUpdater(db, 'wf-4242', 'update-1');
    await queryEvents(db, { stream: 's1', workflow_id: 'wf-4242' });
    const filter = filterOf(EventSearchSchema.parse({ workflow_id: 'wf-4242', limit: '10' }));
    const search = searchSql(filter, { order: 'asc', limit: 11 });
    sent.push({ text: search.text, values: search.values });
    const none = { workflowId: 'wf-4242', origin: 'archive' as const, history: { events: [] } };
    const timeline = await buildTimeline({ db }, 'wf-4242', async () => none);
    expect(timeline.entries.filter((e) => e.source === 'ledger')).toHaveLength(2);
    await db.$client.end();
    expect(sent).toHaveLength(5);

    for (const { text, values } of sent) {
      const r = await t.asOwner<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        values,
      );
      const plan = r.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
      expect(tableReads(plan).ledger_events ?? 0, text).toBeLessThan(50);
    }
  }, 120_000);
});
