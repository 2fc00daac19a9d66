import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLedger } from '../ledger/ledger';
import { freePort } from '../runtime/temporal-server';
import { createApiKey } from '../services/principals/api-keys';
import { ensurePrincipal } from '../services/principals/principals';
import {
  createTestDatabase,
  spawnCli,
  startOtlpReceiver,
  waitFor,
  type OtlpReceiver,
  type TestDatabase,
} from './support';

/** Distinctive: any occurrence in the API's log is a leak. */
const CUSTOMER = 'Ottoline Brackenridge-Sáez';

let t: TestDatabase;
let api: ChildProcess | undefined;
let log = '';
let base = '';
let receiver: OtlpReceiver;
const keys = { auditor: '', emitter: '' };

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('root', 'Root', '{admin}', 'test')`,
  );
  const db = t.connect();
  await ensurePrincipal(db, 'aud-1', ['auditor']);
  await ensurePrincipal(db, 'em-1', ['emitter']);
  const ledger = createLedger(db);
  keys.auditor = (await createApiKey(ledger, { principalId: 'aud-1', role: 'auditor' }, 'root')).key;
  keys.emitter = (
    await createApiKey(
      ledger,
      { principalId: 'em-1', role: 'emitter', streams: ['billing'], eventTypes: ['billing.*'] },
      'root',
    )
  ).key;
  receiver = await startOtlpReceiver();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  api = spawnCli(['api', 'serve', '--port', String(port)], {
    DATABASE_URL: t.ownerUrl,
    // The suite's Temporal (loan routes): without it, api serve would start its own.
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_LOG_FORMAT: 'json',
    LEDGERFLOW_LOG_LEVEL: 'info',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  });
  api.stderr?.on('data', (c: Buffer) => (log += c.toString('utf8')));
  await waitFor(() => log.includes('API listening') || api!.exitCode !== null, 60_000, 'the API to listen');
  expect(api.exitCode, log).toBeNull();
});
afterAll(async () => {
  if (api && api.exitCode === null) {
    const exited = new Promise((r) => api!.once('exit', r));
    api.kill('SIGTERM');
    await exited;
  }
  await receiver?.close();
  await t?.drop();
});

const call = (method: string, path: string, key: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

describe('ledgerflow api serve (its own process)', () => {
  it('counts the ledger appends its requests make in the registry its /metrics serves', async () => {
    const post = await call('POST', '/v1/events', keys.emitter, {
      stream: 'billing',
      idempotency_key: 'api-process-1',
      event: {
        event_type: 'billing.invoice_sent',
        resource: { type: 'invoice', id: 'inv-1' },
        action: 'send',
        outcome: 'success',
        payload: { customer: CUSTOMER },
      },
    });
    expect(post.status).toBe(201);
    const metrics = await call('GET', '/metrics', keys.auditor);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^ledgerflow_ledger_appends_total\{stream="billing",outcome="created"\} 1$/m);
    expect(text).toMatch(
      /^ledgerflow_api_requests_total\{method="POST",route="\/v1\/events",status="201"\} 1$/m,
    );
  });

  it('logs one JSON line per request by route pattern, never the key, the query or the body', async () => {
    const query = await call(
      'GET',
      `/v1/events?stream=billing&actor=${encodeURIComponent(CUSTOMER)}`,
      keys.auditor,
    );
    expect(query.status).toBeLessThan(500);
    const lines = () =>
      log
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(
      () => lines().some((l) => l.msg === 'request' && l.method === 'GET' && l.route === '/v1/events'),
      30_000,
      'the query to be logged',
    );
    expect(lines().find((l) => l.msg === 'request' && l.method === 'POST')).toMatchObject({
      service: 'ledgerflow-api',
      route: '/v1/events',
      status: 201,
      requestId: expect.any(String),
      ms: expect.any(Number),
    });
    for (const leak of [CUSTOMER, 'Brackenridge', keys.auditor, keys.emitter, 'authorization', 'Bearer'])
      expect(log).not.toContain(leak);
  });

  it('traces each request by route pattern with its SQL under it, and no bound value', async () => {
    const under = (name: string) => {
      const request = receiver.spans.find((s) => s.name === name && s.service === 'ledgerflow-api');
      return request ? receiver.spans.filter((s) => s.parentSpanId === request.spanId) : [];
    };
    await waitFor(
      () => under('POST /v1/events').some((s) => s.name.startsWith('pg ')),
      30_000,
      'the POST span and its SQL',
    );
    const sql = under('POST /v1/events').filter((s) => s.name.startsWith('pg '));
    // The key lookup and the append, each a child of the request span.
    expect(sql.length).toBeGreaterThanOrEqual(2);
    expect(sql.every((s) => s.attributes['db.system'] === 'postgresql')).toBe(true);
    await waitFor(() => under('GET /v1/events').length > 0, 30_000, 'the GET span');
    const exported = receiver.bodies.join('\n');
    for (const leak of [CUSTOMER, 'Brackenridge', keys.auditor, keys.emitter])
      expect(exported).not.toContain(leak);
  });
});
