import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/server';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { createApiKey } from '../services/principals/api-keys';
import { createScreeningService } from '../services/screening';
import { createTestDatabase, type TestDatabase } from './helpers';

const FIX = path.join(__dirname, 'fixtures', 'sanctions');
let t: TestDatabase;
let db: Database;
let app: FastifyInstance;
let allowedKey: string;
let otherKey: string;

const screened = async () =>
  (
    await t.asOwner<{ actor_id: string; payload: { query: { name: string } } }>(
      `SELECT e.actor_id, p.payload FROM ledger_events e LEFT JOIN ledger_payloads p USING (stream, seq)
        WHERE e.event_type = 'screening.name_screened' ORDER BY e.seq`,
    )
  ).rows;

const post = (body: unknown, key: string | null = allowedKey) =>
  app.inject({
    method: 'POST',
    url: '/v1/screen',
    headers: key ? { authorization: `Bearer ${key}` } : {},
    payload: body as Record<string, unknown>,
  });

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('op-1', 'Operator', '{operator}', 'test'), ('aud-1', 'Auditor', '{auditor}', 'test'), ('root', 'Admin', '{admin}', 'test')`,
  );
  allowedKey = (await createApiKey(createLedger(db), { principalId: 'op-1', role: 'operator' }, 'root')).key;
  otherKey = (await createApiKey(createLedger(db), { principalId: 'aud-1', role: 'auditor' }, 'root')).key;
  const screening = createScreeningService({ db, ledger: createLedger(db) });
  await screening.loadList({ path: path.join(FIX, 'un-consolidated') });
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer: db, ledger: createLedger(db) });
  await app.ready();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

describe('POST /v1/screen', () => {
  it('refuses callers the pre-handler refuses, before screening or recording anything', async () => {
    expect((await post({ name: 'Saddam Hussein' }, null)).statusCode).toBe(401);
    expect(
      (await post({ name: 'Saddam Hussein' }, 'lfk_000000000000_notarealkeynotarealkeynotarealkey00'))
        .statusCode,
    ).toBe(401);
    expect((await post({ name: 'Saddam Hussein' }, otherKey)).statusCode).toBe(403);
    expect(await screened()).toHaveLength(0);
  });

  it('screens an Arabic name: hits as `screen name --json` prints them, with script and romanisation, one ledger event', async () => {
    const res = await post({
      name: 'صدام حسين التكريتي',
      type: 'person',
      birthDate: '1937-04-28',
      country: 'IQ',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      decision: string;
      hits: Array<Record<string, unknown> & { entryId: string; explanation: Record<string, unknown> }>;
    };
    expect(body.decision).not.toBe('clear');
    const hit = body.hits[0]!;
    expect(Object.keys(hit).sort()).toEqual([
      'decision',
      'entryId',
      'explanation',
      'matchedName',
      'score',
      'source',
    ]);
    expect(hit.entryId).toBe('IQi.001');
    expect(hit.explanation).toMatchObject({
      scripts: { query: ['arabic'] },
      queryRomanizations: [expect.stringContaining('sdam'), expect.stringMatching(/^key: /)],
      tokenPairs: expect.arrayContaining([expect.objectContaining({ query: 'sdam' })]),
    });
    const events = await screened();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor_id: 'op-1', payload: { query: { name: 'صدام حسين التكريتي' } } });
  });

  it('answers bad input with 400 naming the field, and records nothing', async () => {
    const before = (await screened()).length;
    const cases: Array<[unknown, RegExp]> = [
      [{ name: '' }, /^name: /],
      [{ name: '   ' }, /^name: /],
      [{ name: 'x'.repeat(100_000) }, /^name: .*at most 500/],
      [{ name: 'Saddam\u0000Hussein' }, /^name: .*control characters/],
      [{ name: 'Saddam\u001bHussein' }, /^name: .*control characters/],
      [{}, /^name: /],
      [{ name: 42 }, /^name: /],
      [{ name: 'Saddam Hussein', birthDate: '28/04/1937' }, /^birthDate: /],
      [{ name: 'Saddam Hussein', type: 'planet' }, /^type: /],
      [{ name: 'Saddam Hussein', extra: 1 }, /extra/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect((res.json() as { error: string }).error).toMatch(message);
      expect(res.body).not.toContain('Saddam');
    }
    expect(await screened()).toHaveLength(before);
  });
});
