import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEventsFixture, COMMON_FILTERS } from '../bench/api/fixture';
import { EventSearchSchema, filterOf } from '../services/events/filter';
import { searchSql } from '../services/events/search-sql';
import { createTestDatabase, type TestDatabase } from './support';

const N = 1_000_000;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await buildEventsFixture(t.ownerUrl, N, { logged: false });
}, 240_000);
afterAll(async () => {
  await t?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (p: PlanNode): PlanNode[] => [p, ...(p.Plans ?? []).flatMap(nodes)];

describe(`query plans on ${N.toLocaleString('en')} events (default planner settings, after ANALYZE)`, () => {
  it('no indexed filter scans ledger_events or ledger_payloads sequentially', async () => {
    const count = await t.asOwner('SELECT count(*)::int AS n FROM ledger_events');
    expect(count.rows[0]?.n).toBe(N);
    for (const [name, query] of Object.entries(COMMON_FILTERS)) {
      for (const order of ['asc', 'desc']) {
        const search = EventSearchSchema.parse({ ...query, order, limit: '100' });
        const q = searchSql(filterOf(search), { order: search.order, limit: 101 });
        const r = await t.asOwner<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (FORMAT JSON) ${q.text}`,
          q.values,
        );
        const plan = r.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
        const seq = nodes(plan).filter(
          (n) => n['Node Type'] === 'Seq Scan' && /^ledger_(events|payloads)$/.test(n['Relation Name'] ?? ''),
        );
        expect(
          seq.map((n) => n['Relation Name']),
          `${name} ${order}: ${JSON.stringify(plan).slice(0, 400)}`,
        ).toEqual([]);
      }
    }
  });

  it('full text over identifiers (user-42) is driven by their whole token in the text index', async () => {
    for (const text of [COMMON_FILTERS['full text']?.q as string, 'user-42', 'res-31337']) {
      const search = EventSearchSchema.parse({ q: text, limit: '100' });
      const q = searchSql(filterOf(search), { order: search.order, limit: 101 });
      const r = await t.asOwner<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (FORMAT JSON) ${q.text}`,
        q.values,
      );
      const plan = r.rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
      const used = nodes(plan).map((n) => n['Index Name']);
      const shape = nodes(plan).map(
        (n) => `${n['Node Type']} ${n['Index Name'] ?? n['Relation Name'] ?? ''}`,
      );
      expect(used, `${text}: ${shape.join(', ')}`).toContain('ledger_events_text_runs');
      // The whole token is what the index is asked for, not its common words.
      const found = await t.asOwner<{ n: number }>(`SELECT count(*)::int AS n FROM (${q.text}) x`, q.values);
      if (text === 'user-42')
        expect(found.rows[0]?.n).toBe(
          (
            await t.asOwner<{ n: number }>(
              `SELECT count(*)::int AS n FROM (SELECT 1 FROM ledger_events WHERE actor_id = 'user-42' LIMIT 101) x`,
            )
          ).rows[0]?.n,
        );
    }
  });
});
