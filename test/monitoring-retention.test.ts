import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_RETENTION_CONFIG } from '../core/retention';
import { createLedger } from '../ledger/ledger';
import { ingestText, type MonitoringDeps } from '../services/monitoring';
import { syncPolicies } from '../services/retention/policies';
import { previewClass } from '../services/retention/preview';
import { createTestDatabase, type TestDatabase } from './helpers';
import { HOUR, actor, deps, jsonl, tx } from './monitoring-helpers';

let t: TestDatabase;
let d: MonitoringDeps;
beforeAll(async () => {
  t = await createTestDatabase();
  d = deps(t);
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('tester', 'tester', '{compliance}', 'test')`,
  );
});
afterAll(() => t?.drop());

it('transactions and alerts are retention data classes with 5-year default policies', async () => {
  await syncPolicies(createLedger(d.db), DEFAULT_RETENTION_CONFIG, {
    changedBy: 'tester',
    reason: 'defaults',
  });
  const sixYears = -(6 * 365 + 300) * 24 * HOUR;
  const old = [0, 1].map((i) => tx('ret-old', sixYears + i * HOUR, { country: 'IR' }));
  const s = await ingestText(d, actor, jsonl([...old, tx('ret-new', 0, { country: 'IR' })]));
  expect(s.alerts).toBe(3);
  const now = (await t.asOwner<{ n: Date }>('SELECT now() AS n')).rows[0]!.n.toISOString();
  expect(await previewClass(d.db, 'transactions', now)).toMatchObject({
    expired: 2,
    purgeable: 2,
    policy_versions: 'aml-transactions@v1',
  });
  expect(await previewClass(d.db, 'alerts', now)).toMatchObject({
    expired: 0,
    policy_versions: 'aml-alerts@v1',
  });
  // Alerts age by their creation time: arrange one raised six years ago.
  await t.asOwner(
    `UPDATE monitoring_alerts SET created_at = now() - interval '6 years' WHERE trigger_transaction_id = $1`,
    [old[0]!.transaction_id],
  );
  expect(await previewClass(d.db, 'alerts', now)).toMatchObject({ expired: 1, purgeable: 1 });
});
