import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loanScenarios } from '../client/demo/loan-scenarios';
import type { DemoContext } from '../client/demo/types';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import type { ProviderEndpoints } from '../services/loans/enrichment';
import { ensurePrincipal } from '../services/principals/principals';
import { createScreeningService } from '../services/screening';
import {
  createTemporalTestEnv,
  createTestDatabase,
  type TemporalTestEnv,
  type TestDatabase,
} from './support';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let providers: ProviderEndpoints | undefined;

beforeAll(async () => {
  process.env.LEDGERFLOW_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-demo-loans-'));
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  const db = t.connect();
  await ensurePrincipal(db, 'admin', ['admin']);
  await temporal.startWorker({ db, ledger: createLedger(db), providers: () => providers });
});
afterAll(async () => {
  await temporal?.close();
  await t?.drop();
});

async function runLoanScenarios(): Promise<string[]> {
  const lines: string[] = [];
  const ctx: DemoContext = {
    config: loadConfig(),
    client: temporal.client,
    taskQueue: temporal.taskQueue,
    writer: t.connect(),
    reader: t.connect('ledgerflow_reader'),
    ownerUrl: t.ownerUrl,
    admin: 'admin',
    log: (l) => lines.push(l),
    useProviders: (urls) => {
      providers = urls;
    },
  };
  for (const s of loanScenarios) await s.run(ctx);
  return lines;
}

it('the loan demo runs again after a sanctions list is loaded: the officer hit goes to review on either engine', async () => {
  const interim = await runLoanScenarios();
  expect(interim.join('\n')).toMatch(
    /: awaiting_review \(R-SANCTIONS-HIT\); hit: officer #\d+ on SIM-SANCTIONS WL-0001 score /,
  );
  const writer = t.connect();
  const loaded = await createScreeningService({ db: writer, ledger: createLedger(writer) }).loadList({
    path: path.join(__dirname, 'fixtures', 'sanctions', 'un-consolidated'),
  });
  expect(loaded.status).toBe('loaded');
  const engine = await runLoanScenarios();
  const text = engine.join('\n');
  expect(text).toMatch(/: awaiting_review \(R-SANCTIONS-HIT\); hit: officer #\d+ on un \S+ score /);
  expect(text).toMatch(/review by demo-reviewer: approved/);
  expect(text).not.toMatch(/undefined/);
}, 240_000);
