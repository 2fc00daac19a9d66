import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeDocs } from '../api/openapi';
import { AppendBodySchema, buildApiServer, ROUTE_AUTHORITY } from '../api/server';
import { signerFrom } from '../core/signing';
import { createLedger, type Ledger } from '../ledger/ledger';
import { createApiKey, revokeApiKey } from '../services/principals/api-keys';
import {
  createTemporalTestEnv,
  createTestDatabase,
  sampleEvent,
  type TemporalTestEnv,
  type TestDatabase,
} from './support';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let ledger: Ledger;
let app: FastifyInstance;
const keys: Record<string, string | undefined> = {
  none: undefined,
  wrong: 'lfk_000000000000_notarealkeynotarealkeynotarealkey00',
  junk: 'Bearer x',
};

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
  const writer = t.connect();
  ledger = createLedger(writer, { signer });
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('aud', 'A', '{auditor}', 't'),
       ('op', 'O', '{operator}', 't'), ('rev', 'R', '{reviewer}', 't'), ('em', 'E', '{emitter}', 't'),
       ('root', 'Admin', '{admin}', 't')`,
  );
  const make = (g: Parameters<typeof createApiKey>[1]) => createApiKey(ledger, g, 'root');
  keys.auditor = (await make({ principalId: 'aud', role: 'auditor' })).key;
  keys.operator = (await make({ principalId: 'op', role: 'operator' })).key;
  keys.reviewer = (await make({ principalId: 'rev', role: 'reviewer' })).key;
  keys.emitter = (
    await make({
      principalId: 'em',
      role: 'emitter',
      streams: ['billing'],
      eventTypes: ['billing.*', 'loan.*'],
    })
  ).key;
  const revoked = await make({ principalId: 'aud', role: 'auditor' });
  await revokeApiKey(ledger, revoked.keyId, 'root');
  keys.revoked = revoked.key;
  keys.expired = (
    await make({ principalId: 'aud', role: 'auditor', expiresAt: new Date(Date.now() - 60_000) })
  ).key;
  for (let i = 0; i < 20; i++)
    await ledger.append(sampleEvent({ payload: { secret: `customer-${i}` } }), {
      stream: i % 2 ? 'billing' : 'payments',
      idempotencyKey: `f-${i}`,
    });
  await ledger.head();
  app = buildApiServer({
    reader: t.connect('ledgerflow_reader'),
    writer,
    ledger,
    signer,
    temporal: { client: temporal.client, taskQueue: temporal.taskQueue },
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await t?.drop();
});

/** Strings that stress parsers: metacharacters of LIKE, regex, full-text, SQL, JSON and URLs. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '%',
    '_',
    '.*',
    '\\',
    "' OR 1=1 --",
    'a & | ! :* (',
    '"',
    '\u0000',
    '\ud800',
    '-1',
    '1e309',
    '99999999999999999999',
    '2026-13-45T99:00:00Z',
    '0000-01-01T00:00:00Z',
    'eyJ2IjoxfQ',
    '',
    ' ',
    'x'.repeat(5000),
  ),
);

const routes = Object.keys(ROUTE_AUTHORITY);
/** Percent-encodes; a lone surrogate becomes the invalid UTF-8 it would be on the wire. */
const encode = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80';
  }
};
const docs = routeDocs(AppendBodySchema);
const fieldsOf = (schema: unknown): string[] =>
  Object.keys(((schema as { shape?: object } | undefined)?.shape ?? {}) as object);

/** One random request: a route, a key, query fields (known and unknown), path values and a JSON body. */
const request = fc.record({
  route: fc.constantFrom(...routes),
  key: fc.constantFrom(...Object.keys(keys)),
  query: fc.dictionary(
    fc.oneof(
      fc.constantFrom(
        'actor',
        'limit',
        'cursor',
        'q',
        'from',
        'to',
        'order',
        'format',
        'max_rows',
        'head_version',
        'stream',
        'payload_text',
        'before',
        'account',
      ),
      fc.string({ maxLength: 8 }),
    ),
    nasty,
    { maxKeys: 4 },
  ),
  known: fc.boolean(),
  params: fc.array(nasty, { minLength: 2, maxLength: 2 }),
  body: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.dictionary(fc.string({ maxLength: 10 }), nasty),
    fc.constant(undefined),
  ),
  rawBody: fc.option(fc.string({ maxLength: 100 }), { nil: undefined }),
});

describe('every route under random input', () => {
  it('/openapi.json documents every route of ROUTE_AUTHORITY from the zod schemas', async () => {
    expect(Object.keys(docs).sort()).toEqual([...routes].sort());
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ name: string }>; 'x-ledgerflow-roles'?: string[] }>
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const r of routes) {
      const [method, url] = r.split(' ') as [string, string];
      expect(doc.paths[url.replace(/:([a-z_]+)/g, '{$1}')]?.[method.toLowerCase()], r).toBeDefined();
    }
    const search = doc.paths['/v1/events']?.get;
    expect(search?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['actor', 'q', 'cursor', 'limit']),
    );
    expect(search?.['x-ledgerflow-roles']).toEqual(['admin', 'auditor']);
    expect(doc.paths['/v1/loan-applications']?.post).toHaveProperty('requestBody');
  });

  it('answers 4xx with one JSON error, never 5xx, never data to a key without the route action', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const [method, url] = r.route.split(' ') as ['GET' | 'POST', string];
        let i = 0;
        const path = url.replace(/:([a-z_]+)/g, () => encode(r.params[i++] ?? ''));
        const schema = docs[r.route]?.query;
        const query = new URLSearchParams();
        for (const [k, v] of Object.entries(r.query))
          query.append(
            r.known && fieldsOf(schema).length
              ? (fieldsOf(schema)[k.length % fieldsOf(schema).length] as string)
              : k,
            v,
          );
        const key = keys[r.key];
        const res = await app.inject({
          method,
          url: `${path}${query.size ? `?${query}` : ''}`,
          headers: {
            ...(key ? { authorization: key.startsWith('Bearer') ? key : `Bearer ${key}` } : {}),
            ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          },
          ...(method === 'POST'
            ? { payload: r.rawBody ?? (r.body === undefined ? undefined : JSON.stringify(r.body)) }
            : {}),
        });
        expect(res.statusCode, `${r.route} -> ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(typeof (res.json() as { error?: unknown }).error, r.route).toBe('string');
          expect(res.body).not.toMatch(/customer-\d|at .*\.ts:\d+/);
        }
        if (res.statusCode === 401 || res.statusCode === 403)
          expect(res.body).not.toMatch(/"events"|"payload"/);
      }),
      { numRuns: 400, seed: Number(process.env.FUZZ_SEED ?? 1919) },
    );
  }, 300_000);
});
