import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/server';
import type { Database } from '../db/client';
import { createLedger, type Ledger } from '../ledger/ledger';
import { ingestText, listAlerts } from '../services/monitoring';
import { createApiKey } from '../services/principals/api-keys';
import { createScreeningService } from '../services/screening';
import { recordVerification } from '../services/verification/record';
import { runChainVerification } from '../services/verification/chain-verification';
import { createTestDatabase, type TestDatabase } from './support';
import { jsonl, tx, DAY } from './monitoring-helpers';

let t: TestDatabase;
let db: Database;
let ledger: Ledger;
let app: FastifyInstance;
const keys: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  ledger = createLedger(db);
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('op-1', 'Op', '{operator}', 't'),
       ('aud-1', 'Aud', '{auditor}', 't'), ('rev-1', 'Rev', '{reviewer}', 't'), ('root', 'Admin', '{admin}', 't')`,
  );
  for (const [id, role] of [
    ['op-1', 'operator'],
    ['aud-1', 'auditor'],
    ['rev-1', 'reviewer'],
  ] as const)
    keys[role] = (await createApiKey(ledger, { principalId: id, role }, 'root')).key;
  await createScreeningService({ db, ledger }).loadList({
    path: path.join(__dirname, 'fixtures', 'sanctions', 'un-consolidated'),
  });
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer: db, ledger });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const call = (method: 'GET' | 'POST', url: string, key: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${keys[key]}` }, payload });

describe('explanations and verification runs', () => {
  it('explains a screening result: hits, lists, thresholds and its ledger trace', async () => {
    const screened = await call('POST', '/v1/screen', 'operator', { name: 'Saddam Hussein' });
    expect(screened.statusCode).toBe(200);
    const id = (screened.json() as { id: string }).id;
    const res = await call('GET', `/v1/explanations/screening/${id}`, 'reviewer');
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      result: { hits: Array<{ explanation: unknown }>; list_versions: unknown[]; thresholds: unknown };
      trace: Array<{ event_type: string; resource: { id: string } }>;
    };
    expect(body.result.hits.length).toBeGreaterThan(0);
    expect(body.result.hits[0]?.explanation).toBeTruthy();
    expect(body.trace.map((e) => e.event_type)).toContain('screening.name_screened');
    expect((await call('GET', `/v1/explanations/screening/${id}`, 'operator')).statusCode).toBe(403);
    expect(
      (await call('GET', '/v1/explanations/screening/00000000-0000-0000-0000-000000000000', 'auditor'))
        .statusCode,
    ).toBe(404);
    expect((await call('GET', '/v1/explanations/screening/not-a-uuid', 'auditor')).statusCode).toBe(404);
  });

  it('explains a monitoring alert: the rule trace and the ledger events about it', async () => {
    const credit = (at: number, amount: string) =>
      tx('acct-api', at, { channel: 'cash', direction: 'credit', amount, counterparty_id: 'branch' });
    await ingestText(
      { db, ledger },
      { actor: { type: 'user', id: 'op-1' } },
      jsonl([credit(0, '9000.00'), credit(DAY / 2, '9100.00'), credit(DAY, '9200.00')]),
    );
    const [alert] = (await listAlerts(db, { account: 'acct-api' })).alerts;
    expect(alert).toBeDefined();
    const res = await call('GET', `/v1/explanations/alerts/${alert?.alert_id}`, 'auditor');
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      alert: { typology: string; rules: unknown[] };
      trace: Array<{ resource: { id: string } }>;
    };
    expect(body.alert.typology).toBe('structuring');
    expect(body.alert.rules.length).toBeGreaterThan(0);
    expect(body.trace.length).toBeGreaterThan(0);
    expect(body.trace.every((e) => e.resource.id === alert?.alert_id)).toBe(true);
  });

  it('serves the status and history of verification runs', async () => {
    const empty = (await call('GET', '/v1/verification/runs', 'auditor')).json() as {
      status: unknown;
      runs: unknown[];
    };
    expect(empty).toMatchObject({ status: null, runs: [] });
    for (const n of [1, 2]) {
      const result = await runChainVerification({ db, pinnedKeys: () => new Map() }, {});
      await recordVerification(
        { ledger },
        { result, requestedBy: 'aud-1' },
        {
          actorId: 'chainVerification',
          workflowId: `verify-${n}`,
          runId: `run-${n}`,
          step: (step) => ({
            context: { workflow_id: `verify-${n}`, step },
            idempotencyKey: `verify-${n}:${step}`,
          }),
        },
      );
    }
    const res = await call('GET', '/v1/verification/runs?limit=1', 'auditor');
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      status: { ok: boolean };
      runs: Array<{ ok: boolean; workflow_id: string; events_checked: number; event: { seq: number } }>;
      next_before_seq: number;
    };
    expect(body.status.ok).toBe(true);
    expect(body.runs[0]).toMatchObject({ ok: true, workflow_id: 'verify-2' });
    expect(body.runs[0]?.events_checked).toBeGreaterThan(0);
    const older = (
      await call('GET', `/v1/verification/runs?before_seq=${body.next_before_seq}`, 'auditor')
    ).json() as {
      runs: Array<{ workflow_id: string }>;
    };
    expect(older.runs.map((r) => r.workflow_id)).toEqual(['verify-1']);
    expect((await call('GET', '/v1/verification/runs?limit=0', 'auditor')).statusCode).toBe(400);
  });
});
