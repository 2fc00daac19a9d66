import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/server';
import { createLedger } from '../ledger/ledger';
import { createApiKey } from '../services/principals/api-keys';
import { ensurePrincipal } from '../services/principals/principals';
import { FAST, sampleApplication, useLoanTestEnv, waitFor } from './support';

const env = useLoanTestEnv();
let app: FastifyInstance;
let stopWorker: () => Promise<void>;
const keys: Record<string, string> = {};

beforeAll(async () => {
  const ledger = createLedger(env.db);
  await ensurePrincipal(env.db, 'portal', ['emitter']);
  await ensurePrincipal(env.db, 'crm', ['emitter']);
  await ensurePrincipal(env.db, 'audra', ['auditor']);
  await ensurePrincipal(env.db, 'root', ['admin']);
  const key = async (name: string, grant: Parameters<typeof createApiKey>[1]) => {
    keys[name] = (await createApiKey(ledger, grant, 'root')).key;
  };
  const emitter = { role: 'emitter' as const, streams: ['onboarding'] };
  await key('portal', { ...emitter, principalId: 'portal', eventTypes: ['loan.application_received'] });
  await key('crm', { ...emitter, principalId: 'crm', eventTypes: ['loan.*'] });
  await key('ungranted', { ...emitter, principalId: 'crm', eventTypes: ['crm.*'] });
  await key('operator', { principalId: 'op-1', role: 'operator' });
  await key('reviewer', { principalId: 'rev-1', role: 'reviewer' });
  await key('auditor', { principalId: 'audra', role: 'auditor' });
  stopWorker = (await env.startWorker()).stop;
  app = buildApiServer({
    reader: env.t.connect('ledgerflow_reader'),
    writer: env.db,
    ledger,
    temporal: { client: env.client, taskQueue: env.temporal.taskQueue, runOptions: FAST },
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await stopWorker?.();
});

const call = (method: 'GET' | 'POST', url: string, key: string, payload?: unknown) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${keys[key]}` }, payload: payload as object });

async function statusOf(id: string, key = 'portal') {
  const res = await call('GET', `/v1/loan-applications/${id}`, key);
  expect(res.statusCode).toBe(200);
  return res.json() as {
    status: string;
    decision: string | null;
    pending_review: { eligible_reviewers: string[] } | null;
    workflow: { workflow_id: string; run_id: string } | null;
  };
}

describe('loan origination over HTTP (real Temporal dev server and worker)', () => {
  it('starts idempotently by application id, follows to a decision, and never echoes personal data', async () => {
    const file = sampleApplication('api-app-1');
    const first = await call('POST', '/v1/loan-applications', 'portal', file);
    expect(first.statusCode).toBe(201);
    const started = first.json() as { workflow_id: string; run_id: string; duplicate: boolean };
    expect(started).toMatchObject({ workflow_id: 'api-app-1', duplicate: false });
    expect(first.body).not.toContain('Maria');

    const again = await call('POST', '/v1/loan-applications', 'portal', file);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ workflow_id: 'api-app-1', run_id: started.run_id, duplicate: true });

    const changed = await call(
      'POST',
      '/v1/loan-applications',
      'portal',
      sampleApplication('api-app-1', { amount: 99_000 }),
    );
    expect(changed.statusCode).toBe(409);
    expect(changed.json().error).toMatch(/already exists with different content/);

    await waitFor(async () => (await statusOf('api-app-1')).decision !== null, 60_000, 'a decision');
    const done = await statusOf('api-app-1');
    expect(done).toMatchObject({ status: 'approved', decision: 'approved', pending_review: null });
    expect(done.workflow?.run_id).toBe(started.run_id);
    // Another emitter does not see this portal's application; an auditor does.
    expect((await call('GET', '/v1/loan-applications/api-app-1', 'crm')).statusCode).toBe(404);
    expect((await call('GET', '/v1/loan-applications/api-app-1', 'auditor')).statusCode).toBe(200);
    // Provenance: the workflow's Temporal history joined with its ledger events, and the case.
    const prov = await call('GET', '/v1/provenance/workflows/api-app-1', 'auditor');
    expect(prov.statusCode).toBe(200);
    const timeline = prov.json() as {
      origin: string;
      entries: Array<{ source: string; type: string; links: string[] }>;
    };
    expect(timeline.origin).toBe('temporal');
    expect(timeline.entries.filter((e) => e.source === 'temporal').map((e) => e.type)).toContain(
      'WorkflowExecutionStarted',
    );
    const received = timeline.entries.find((e) => e.type === 'loan.application_received');
    expect(received?.links.length).toBeGreaterThan(0);
    const kase = (await call('GET', '/v1/provenance/cases/api-app-1', 'auditor')).json() as {
      events: Array<{ event_type: string }>;
      workflows: Array<{ workflowId: string }>;
    };
    expect(kase.events.map((e) => e.event_type)).toContain('loan.decision_made');
    expect(kase.workflows.map((w) => w.workflowId)).toContain('api-app-1');
    expect((await call('GET', '/v1/provenance/workflows/api-app-1', 'operator')).statusCode).toBe(403);
    expect((await call('GET', '/v1/provenance/workflows/no-such-wf', 'auditor')).statusCode).toBe(404);
    // The view is a recorded read.
    const reads = await env.t.asOwner(
      `SELECT actor_id FROM ledger_events WHERE stream = 'access' AND resource_type = 'loan_application' AND resource_id = 'api-app-1'`,
    );
    expect(reads.rows.map((r) => r.actor_id)).toEqual(expect.arrayContaining(['portal', 'audra']));
  });

  it('refuses an emitter key without the grant, reviewers starting loans and invalid files (fields named, values not echoed)', async () => {
    const file = sampleApplication('api-app-2');
    const ungranted = await call('POST', '/v1/loan-applications', 'ungranted', file);
    expect(ungranted.statusCode).toBe(403);
    expect(ungranted.json().error).toMatch(/loan\.application_received/);
    expect((await call('POST', '/v1/loan-applications', 'reviewer', file)).statusCode).toBe(403);
    const bad = await call('POST', '/v1/loan-applications', 'operator', {
      ...file,
      applicant: { ...file.applicant, nationalId: 'secret id 123', dateOfBirth: '1984-13-45' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().fields.map((f: { field: string }) => f.field)).toEqual(
      expect.arrayContaining(['applicant.nationalId', 'applicant.dateOfBirth']),
    );
    expect(bad.body).not.toMatch(/secret id 123|Maria|1984-13-45/);
    expect((await call('POST', '/v1/loan-applications', 'operator', { ...file, extra: 1 })).statusCode).toBe(
      400,
    );
    const n = await env.t.asOwner(`SELECT count(*)::int AS n FROM loan_applications WHERE id = 'api-app-2'`);
    expect(n.rows[0]?.n).toBe(0);
    expect((await call('GET', '/v1/loan-applications/nope-404', 'operator')).statusCode).toBe(404);
    expect((await call('GET', '/v1/loan-applications/%20bad%20id', 'operator')).statusCode).toBe(400);
  });

  it('a sanctions hit waits for review; only a reviewer key decides it, once', async () => {
    const file = sampleApplication('api-app-review', { registrationNumber: 'SANC-0042' });
    expect((await call('POST', '/v1/loan-applications', 'crm', file)).statusCode).toBe(201);
    await waitFor(
      async () => (await statusOf('api-app-review', 'crm')).pending_review !== null,
      60_000,
      'review',
    );
    expect((await statusOf('api-app-review', 'crm')).pending_review?.eligible_reviewers).toEqual([
      'rev-1',
      'rev-2',
    ]);
    const review = { decision: 'approve', reason: 'officer is a namesake: different birth date' };
    const byOperator = await call('POST', '/v1/loan-applications/api-app-review/review', 'operator', review);
    expect(byOperator.statusCode).toBe(403);
    expect(
      (await call('POST', '/v1/loan-applications/api-app-review/review', 'reviewer', { decision: 'approve' }))
        .statusCode,
    ).toBe(400);
    const ok = await call('POST', '/v1/loan-applications/api-app-review/review', 'reviewer', review);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ status: 'approved' });
    const twice = await call('POST', '/v1/loan-applications/api-app-review/review', 'reviewer', review);
    expect(twice.statusCode).toBe(409);
    expect((await statusOf('api-app-review', 'crm')).decision).toBe('approved');
  });
});
