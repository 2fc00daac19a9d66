import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/server';
import { createLedger } from '../ledger/ledger';
import { createMetrics, type LedgerflowMetrics } from '../runtime/metrics';
import { createApiKey } from '../services/principals/api-keys';
import { ensurePrincipal } from '../services/principals/principals';
import { createTestDatabase, type TestDatabase } from './helpers';

let t: TestDatabase;
let app: FastifyInstance;
let metrics: LedgerflowMetrics;
const keys = { auditor: '', emitter: '' };

beforeAll(async () => {
  t = await createTestDatabase();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('root', 'Root', '{admin}', 'test')`,
  );
  const db = t.connect();
  await ensurePrincipal(db, 'aud-1', ['auditor']);
  await ensurePrincipal(db, 'em-1', ['emitter']);
  metrics = createMetrics();
  const ledger = createLedger(db, { metrics });
  keys.auditor = (await createApiKey(ledger, { principalId: 'aud-1', role: 'auditor' }, 'root')).key;
  keys.emitter = (
    await createApiKey(
      ledger,
      { principalId: 'em-1', role: 'emitter', streams: ['billing'], eventTypes: ['billing.*'] },
      'root',
    )
  ).key;
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer: db, ledger });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const scrape = async (key: string) => {
  const res = await app.inject({
    method: 'GET',
    url: '/metrics',
    headers: { authorization: `Bearer ${key}` },
  });
  expect(res.statusCode).toBe(200);
  return res.body;
};
const sample = (text: string, line: RegExp) => Number(text.match(line)?.[1] ?? NaN);

describe('API /metrics', () => {
  it('counts each request by route pattern and status, and the appends it made by stream', async () => {
    const before = await scrape(keys.auditor);
    const emitted =
      /^ledgerflow_api_requests_total\{method="POST",route="\/v1\/events",status="201"\} (\d+)/m;
    expect(before).not.toMatch(emitted);
    const post = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${keys.emitter}` },
      payload: {
        stream: 'billing',
        idempotency_key: 'metrics-1',
        event: {
          event_type: 'billing.invoice_sent',
          resource: { type: 'invoice', id: 'inv-1' },
          action: 'send',
          outcome: 'success',
        },
      },
    });
    expect(post.statusCode).toBe(201);
    const after = await scrape(keys.auditor);
    expect(sample(after, emitted)).toBe(1);
    expect(
      sample(
        after,
        /^ledgerflow_api_request_duration_seconds_count\{method="POST",route="\/v1\/events",status="201"\} (\d+)/m,
      ),
    ).toBe(1);
    // The first scrape itself was counted once it was answered.
    expect(
      sample(after, /^ledgerflow_api_requests_total\{method="GET",route="\/metrics",status="200"\} (\d+)/m),
    ).toBe(1);
    expect(
      sample(after, /^ledgerflow_ledger_appends_total\{stream="billing",outcome="created"\} (\d+)/m),
    ).toBe(1);
  });

  it('is refused without a key (401) and to a key whose role may not check posture (403)', async () => {
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const asEmitter = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${keys.emitter}` },
    });
    expect(asEmitter.statusCode).toBe(403);
    expect(asEmitter.body).not.toContain('ledgerflow_');
  });
});
