import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, revokeApiKey } from '../services/principals/api-keys';
import { buildApiServer } from '../api/server';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

let t: TestDatabase;
let writer: Database;
let app: FastifyInstance;
let auditorKey: string;
let emitterKey: string;

beforeAll(async () => {
  t = await createTestDatabase();
  writer = t.connect();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('alice', 'Alice Auditor', '{auditor}', 'test'), ('svc-billing', 'Billing service', '{emitter}', 'test'), ('root', 'Admin', '{admin}', 'test')`,
  );
  auditorKey = (await createApiKey(createLedger(writer), { principalId: 'alice', role: 'auditor' }, 'root'))
    .key;
  emitterKey = (
    await createApiKey(
      createLedger(writer),
      {
        principalId: 'svc-billing',
        role: 'emitter',
        streams: ['billing'],
        eventTypes: ['test.*'],
        mayDelegate: true,
      },
      'root',
    )
  ).key;
  for (let i = 0; i < 3; i++) {
    await createLedger(writer).append(sampleEvent({ subject_id: 'subj-1', payload: { i } }), {
      idempotencyKey: `seed-${i}`,
    });
  }
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer, ledger: createLedger(writer) });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const get = (url: string, key?: string) =>
  app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

describe('auditor HTTP API', () => {
  it('rejects requests without a valid key, and keys of the wrong role', async () => {
    expect((await get('/v1/events')).statusCode).toBe(401);
    expect((await get('/v1/events', 'lfk_000000000000_notarealkeynotarealkeynotarealkey00')).statusCode).toBe(
      401,
    );
    expect((await get('/v1/events', emitterKey)).statusCode).toBe(403);
  });

  it('lets auditors query events by subject, and records the read in the ledger', async () => {
    const res = await get('/v1/events?subject_id=subj-1&limit=2', auditorKey);
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      events: Array<{ seq: number; payload: { i: number } }>;
      next_cursor: string | null;
    };
    expect(body.events.map((e) => e.payload.i)).toEqual([0, 1]);
    const next = await get(`/v1/events?subject_id=subj-1&limit=2&cursor=${body.next_cursor}`, auditorKey);
    expect(next.json().events.map((e: { payload: { i: number } }) => e.payload.i)).toEqual([2]);
    const reads = await t.asOwner(`SELECT actor_id FROM ledger_events WHERE event_type = 'api.ledger_read'`);
    expect(reads.rows.map((r) => r.actor_id)).toContain('alice');
    expect((await get('/v1/events?limit=5000', auditorKey)).json()).toMatchObject({
      error: expect.stringMatching(/limit/),
    });
  });

  it('lets emitters append idempotently and rejects invalid events naming the field', async () => {
    const post = (body: unknown) =>
      app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: { authorization: `Bearer ${emitterKey}` },
        payload: body as object,
      });
    const first = await post({ stream: 'billing', idempotency_key: 'inv-1', event: sampleEvent() });
    const again = await post({ stream: 'billing', idempotency_key: 'inv-1', event: sampleEvent() });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().seq).toBe(first.json().seq);
    const bad = await post({
      stream: 'billing',
      idempotency_key: 'inv-2',
      event: sampleEvent({ outcome: 'perhaps' }),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/outcome/);
    const n = await t.asOwner(`SELECT count(*)::int AS n FROM ledger_events WHERE stream = 'billing'`);
    expect(n.rows[0]?.n).toBe(1);
  });

  it('stops accepting a revoked key', async () => {
    const { keyId, key } = await createApiKey(
      createLedger(writer),
      { principalId: 'alice', role: 'auditor' },
      'root',
    );
    expect((await get('/v1/events', key)).statusCode).toBe(200);
    await revokeApiKey(createLedger(writer), keyId, 'root');
    expect((await get('/v1/events', key)).statusCode).toBe(401);
    await expect(t.asOwner(`DELETE FROM api_keys WHERE key_id = '${keyId}'`)).rejects.toThrow(
      /only be revoked/,
    );
  });
});
