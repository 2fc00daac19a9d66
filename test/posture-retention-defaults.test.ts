import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostureSettingsSchema } from '../core/posture/settings';
import { DATA_CLASSES, DEFAULT_RETENTION_CONFIG } from '../core/retention';
import { createLedger } from '../ledger/ledger';
import { CONTROLS } from '../services/posture/controls';
import { runPosture } from '../services/posture/run';
import { ensurePrincipal } from '../services/principals/principals';
import { syncPolicies } from '../services/retention/policies';
import { createTestDatabase, type TestDatabase } from './helpers';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

interface RegisteredClass {
  data_class: string;
  table_name: string;
  key_columns: string[];
  created_column: string | null;
}

const registered = async () =>
  (
    await t.asOwner<RegisteredClass>(
      'SELECT data_class, table_name, key_columns, created_column FROM retention_data_classes ORDER BY data_class',
    )
  ).rows;

it('the embedded default policies cover every data class registered in the database', async () => {
  const rows = await registered();
  expect(rows.length).toBeGreaterThan(0);
  const covered = new Set(DEFAULT_RETENTION_CONFIG.policies.flatMap((p) => p.dataClasses));
  expect(rows.map((r) => r.data_class).filter((c) => !covered.has(c))).toEqual([]);
  expect(
    rows.map((r) => r.data_class).filter((c) => !(c in (DEFAULT_RETENTION_CONFIG.legalMinimums ?? {}))),
  ).toEqual([]);
});

it('every registered data class has an adapter that mirrors its table and key', async () => {
  const rows = await registered();
  const adapters = new Map(DATA_CLASSES.map((a) => [a.dataClass, a]));
  for (const r of rows) {
    const a = adapters.get(r.data_class);
    expect(a, r.data_class).toBeDefined();
    expect({ table: a?.table, keys: a?.keyColumns }).toEqual({ table: r.table_name, keys: r.key_columns });
  }
});

it('after applying the embedded defaults the retention-coverage control passes', async () => {
  const db = t.connect();
  await ensurePrincipal(db, 'alice', ['admin']);
  await syncPolicies(createLedger(db), DEFAULT_RETENTION_CONFIG, { changedBy: 'alice', reason: 'defaults' });
  const report = await runPosture(
    { db, settings: PostureSettingsSchema.parse({}), now: new Date().toISOString() },
    { requestedBy: 'alice', controls: CONTROLS.filter((c) => c.definition.id === 'retention-coverage') },
  );
  expect(report.results[0]).toMatchObject({ status: 'pass' });
  expect(report.results[0]?.detail).toMatch(/^\d+ data classes covered$/);
});
