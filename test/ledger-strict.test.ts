import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApiServer } from '../api/server';
import { parseStrictJson } from '../core/canonical-json';
import { createLedger } from '../ledger/ledger';
import { parseEventLines } from '../ledger/event-lines';
import { createApiKey } from '../services/principals/api-keys';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';

let t: TestDatabase;
let app: FastifyInstance;
let key: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const writer = t.connect();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('svc', 'Svc', '{emitter}', 'test'), ('root', 'Admin', '{admin}', 'test')`,
  );
  key = (
    await createApiKey(
      createLedger(writer),
      { principalId: 'svc', role: 'emitter', streams: ['api'], eventTypes: ['test.*'] },
      'root',
    )
  ).key;
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer, ledger: createLedger(writer) });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('I-JSON at every boundary', () => {
  it('the strict parser names duplicate members, lone surrogates and unsafe integers', () => {
    expect(() => parseStrictJson('{"a":{"b":1,"b":2}}')).toThrow(/a\.b: duplicate member/);
    expect(() => parseStrictJson('{"a":"\\ud800"}')).toThrow(/a: contains a lone surrogate/);
    expect(() => parseStrictJson('{"n":[9007199254740993]}')).toThrow(/n\[0\]: integer outside/);
    expect(parseStrictJson('{"n":9007199254740991,"s":"\\ud83d\\ude00"}')).toEqual({
      n: 9007199254740991,
      s: '😀',
    });
  });

  it('append rejects an integer above 2^53 instead of rounding it, naming the field; nothing is written', async () => {
    const ledger = createLedger(t.connect());
    await expect(
      ledger.append(sampleEvent({ payload: { amount: 2 ** 53 + 2 } }), { idempotencyKey: 'big' }),
    ).rejects.toThrow(/payload\.amount: integer outside/);
    expect(
      (await t.asOwner(`SELECT count(*)::int AS n FROM ledger_events WHERE idempotency_key = 'big'`)).rows[0]
        ?.n,
    ).toBe(0);
  });

  it('JSONL append lines with a duplicated member are rejected naming it', () => {
    const line = JSON.stringify(sampleEvent()).replace('"action":', '"action":"x","action":');
    expect(() => parseEventLines(line)).toThrow(/line 1: action: duplicate member/);
  });

  it('the API rejects a duplicated member with 400 naming it', async () => {
    const body = JSON.stringify({ stream: 'api', idempotency_key: 'k1', event: sampleEvent() }).replace(
      '"action":',
      '"action":"x","action":',
    );
    const res = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: body,
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toMatch(/event\.action: duplicate member/);
  });
});
