import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const businessTables = ['loan_applications', 'loan_enrichments', 'workflow_histories', 'screening_results'];

describe('app roles on business tables', () => {
  it('the purger cannot delete or update business rows directly (only through the purge functions)', async () => {
    const purger = t.connect('ledgerflow_purger');
    expect((await purger.$client.query('SELECT current_user AS u')).rows[0].u).toBe('ledgerflow_purger');
    for (const table of businessTables) {
      await expect(purger.$client.query(`DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
    }
    await expect(purger.$client.query(`UPDATE loan_applications SET status = status`)).rejects.toThrow(
      /permission denied/,
    );
  });

  it('the reader cannot write anything', async () => {
    const reader = t.connect('ledgerflow_reader');
    for (const table of [...businessTables, 'api_keys']) {
      await expect(reader.$client.query(`DELETE FROM ${table}`)).rejects.toThrow(/permission denied/);
    }
  });
});
