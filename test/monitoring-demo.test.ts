import { afterAll, beforeAll, expect, it } from 'vitest';
import type { DemoContext } from '../client/demo/types';
import { monitoringScenario } from '../client/demo/monitoring';
import { createTestDatabase, type TestDatabase } from './helpers';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

it('the monitoring demo raises and shows a structuring alert, and re-runs without new alerts', async () => {
  const lines: string[] = [];
  const ctx = {
    config: t.config,
    writer: t.connect(),
    reader: t.connect('ledgerflow_reader'),
    ownerUrl: t.ownerUrl,
    log: (l: string) => lines.push(l),
  } as unknown as DemoContext;
  await monitoringScenario.run(ctx);
  expect(lines[0]).toBe('tx ingest: 17 new, 0 already ingested, 0 rejected; 1 new alerts');
  expect(lines.join('\n')).toMatch(/BREACHED structuring v1: value 3; threshold 3/);
  lines.length = 0;
  await monitoringScenario.run(ctx);
  expect(lines[0]).toBe('tx ingest: 0 new, 17 already ingested, 0 rejected; 0 new alerts');
  expect(lines[1]).toMatch(/^Alert .+: ALERT \(structuring, score 100\)$/);
});
