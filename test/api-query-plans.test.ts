import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEventsFixture, COMMON_FILTERS } from '../bench/api/fixture';
import { EventSearchSchema, filterOf } from '../services/events/filter';
import { searchSql } from '../services/events/search-sql';
import { createTestDatabase, type TestDatabase } from './support';

const N = 1_000_000;
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await buildEventsFixture(t.ownerUrl, N);
}, 240_000);
afterAll(async () => {
  await t?.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
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
});
