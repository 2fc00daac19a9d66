import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCHEDULE_NAMES, scheduleId } from '../client/commands/schedules';
import { postureScenario } from '../client/demo/posture';
import type { DemoContext } from '../client/demo/types';
import { loadSigner } from '../ledger/keys';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { ensurePrincipal } from '../services/principals/principals';
import { createTestDatabase, type TestDatabase } from './helpers';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal-helpers';

let t: TestDatabase;
let temporal: TemporalTestEnv;
const prefix = `demo-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  process.env.LEDGERFLOW_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-posture-demo-'));
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  const db = t.connect();
  const signer = loadSigner(loadConfig());
  await ensurePrincipal(db, 'admin', ['admin']);
  await temporal.startWorker({ db, ledger: createLedger(db, { signer }), signer });
});
afterAll(async () => {
  for (const n of SCHEDULE_NAMES)
    await temporal?.client.schedule
      .getHandle(scheduleId(n, prefix))
      .delete()
      .catch(() => undefined);
  await temporal?.close();
  await t?.drop();
});

it('the posture demo brings the embedded defaults into posture: every control passes, twice in a row', async () => {
  const lines: string[] = [];
  const ctx = {
    config: loadConfig(),
    client: temporal.client,
    taskQueue: temporal.taskQueue,
    writer: t.connect(),
    reader: t.connect('ledgerflow_reader'),
    ownerUrl: t.ownerUrl,
    admin: 'admin',
    schedulePrefix: prefix,
    log: (l: string) => lines.push(l),
  } as unknown as DemoContext;
  await postureScenario.run(ctx);
  expect(lines[0]).toMatch(/^retention policies: [1-9]\d* changed \(embedded defaults\)$/);
  expect(lines[1]).toMatch(/ created, .* created, .* created$/);
  expect(lines[2]).toMatch(/^chain verification: valid, \d+ events checked$/);
  expect(lines[3]).toMatch(/^witness: head version \d+ published to .*ledger-heads\.log$/);
  const controls = lines.filter((l) => /^ {2}(PASS|FAIL|ERROR) /.test(l));
  expect(controls).toHaveLength(10);
  expect(controls.filter((l) => !l.startsWith('  PASS'))).toEqual([]);
  expect(lines.find((l) => l.startsWith('posture '))).toMatch(
    /^posture OK: 10 pass, 0 fail, 0 error; signed report at compliance#\d+/,
  );

  lines.length = 0;
  await postureScenario.run(ctx);
  expect(lines[0]).toBe('retention policies: 0 changed (embedded defaults)');
  expect(lines[1]).toMatch(/ unchanged, .* unchanged, .* unchanged$/);
  expect(lines.find((l) => l.startsWith('posture '))).toMatch(/^posture OK: 10 pass/);
});
