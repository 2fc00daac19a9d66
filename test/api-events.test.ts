import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/server';
import { parseHead } from '../core/ledger-head';
import { parseTrustedKeys, signerFrom } from '../core/signing';
import type { Database } from '../db/client';
import { createLedger, type Ledger } from '../ledger/ledger';
import { verifyProofDoc, type InclusionProofDoc } from '../ledger/proofs';
import { createApiKey, revokeApiKey } from '../services/principals/api-keys';
import { createTestDatabase, sampleEvent, waitFor, type TestDatabase } from './support';

let t: TestDatabase;
let writer: Database;
let ledger: Ledger;
let app: FastifyInstance;
let auditorKey: string;
let operatorKey: string;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);

interface Ev {
  stream: string;
  seq: number;
  occurred_at: string;
  actor: { id: string };
  resource: { id: string };
  event_type: string;
  outcome: string;
  payload: Record<string, unknown> | null;
}

beforeAll(async () => {
  t = await createTestDatabase();
  writer = t.connect();
  ledger = createLedger(writer, { signer });
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('alice', 'Alice', '{auditor}', 't'),
       ('otto', 'Otto', '{operator}', 't'), ('root', 'Admin', '{admin}', 't')`,
  );
  auditorKey = (await createApiKey(ledger, { principalId: 'alice', role: 'auditor' }, 'root')).key;
  operatorKey = (await createApiKey(ledger, { principalId: 'otto', role: 'operator' }, 'root')).key;
  // Two business streams, interleaved in time: 30 events with varied envelopes.
  for (let i = 0; i < 30; i++) {
    await ledger.append(
      sampleEvent({
        event_type: i % 3 === 0 ? 'loan.application_received' : 'test.event_recorded',
        actor: { type: 'user', id: i % 2 ? 'bob' : 'carol' },
        resource: { type: 'loan_application', id: `app-${i % 5}` },
        action: i % 4 === 0 ? 'approve' : 'record',
        outcome: i % 7 === 0 ? 'denied' : 'success',
        subject_id: `subj-${i % 3}`,
        case_id: `case-${i % 2}`,
        context: { workflow_id: `wf-${i % 4}` },
        payload: { note: i === 5 ? 'Zanzibar Trading Holdings' : `note ${i}` },
      }),
      { stream: i % 2 ? 'billing' : 'payments', idempotencyKey: `seed-${i}` },
    );
  }
  await ledger.head();
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer, ledger });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const get = (url: string, key = auditorKey, server = app) =>
  server.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

/** Every page of a search, following next_cursor. */
async function allPages(query: string, limit: number): Promise<Ev[]> {
  const out: Ev[] = [];
  let cursor: string | null = null;
  do {
    const res = await get(`/v1/events?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { events: Ev[]; next_cursor: string | null };
    out.push(...body.events);
    cursor = body.next_cursor;
  } while (cursor);
  return out;
}

const key = (e: Ev) => `${e.stream}:${e.seq}`;

describe('GET /v1/events across streams', () => {
  it('filters by actor, action, resource, outcome, event type, subject, case, workflow and time', async () => {
    const business = 'event_type=test.event_recorded';
    const cases: Array<[string, (i: number) => boolean]> = [
      ['actor=bob', (i) => i % 2 === 1],
      ['action=approve', (i) => i % 4 === 0],
      ['resource=app-3&resource_type=loan_application', (i) => i % 5 === 3],
      ['outcome=denied', (i) => i % 7 === 0],
      ['event_type=loan.application_received', (i) => i % 3 === 0],
      ['subject_id=subj-1', (i) => i % 3 === 1],
      ['case_id=case-1', (i) => i % 2 === 1],
      ['workflow_id=wf-2', (i) => i % 4 === 2],
      [`${business}&actor=carol`, (i) => i % 3 !== 0 && i % 2 === 0],
    ];
    for (const [query, want] of cases) {
      const got = await allPages(query, 1000);
      const expected = Array.from({ length: 30 }, (_, i) => i).filter(want);
      expect(got.map((e) => (e.payload as { note: string }).note).sort(), query).toEqual(
        expected.map((i) => (i === 5 ? 'Zanzibar Trading Holdings' : `note ${i}`)).sort(),
      );
    }
    const all = await allPages('stream=payments', 1000);
    const mid = all[5] as Ev;
    const after = await allPages(`stream=payments&from=${encodeURIComponent(mid.occurred_at)}`, 1000);
    expect(after.map(key)).toEqual(all.slice(5).map(key));
    const before = await allPages(`stream=payments&to=${encodeURIComponent(mid.occurred_at)}`, 1000);
    expect(before.map(key)).toEqual(all.slice(0, 5).map(key));
  });

  it('pages with an opaque cursor in a stable order: every event once, in (occurred_at, stream, seq) order', async () => {
    // Business events of two streams (the reads this test makes land in `access` meanwhile).
    const filter = 'outcome=success&resource_type=loan_application';
    const one = await allPages(filter, 1000);
    expect(new Set(one.map((e) => e.stream))).toEqual(new Set(['billing', 'payments']));
    const paged = await allPages(filter, 4);
    expect(paged.map(key)).toEqual(one.map(key));
    expect(new Set(paged.map(key)).size).toBe(paged.length);
    const sorted = [...one].sort(
      (a, b) =>
        a.occurred_at.localeCompare(b.occurred_at) || a.stream.localeCompare(b.stream) || a.seq - b.seq,
    );
    expect(one.map(key)).toEqual(sorted.map(key));
    const desc = await allPages(`${filter}&order=desc`, 3);
    expect(desc.map(key)).toEqual([...one].reverse().map(key));
  });

  it('refuses a cursor that is not ours or was made for another filter, huge pages and unknown fields', async () => {
    const first = (await get('/v1/events?actor=bob&limit=2')).json() as { next_cursor: string };
    const other = await get(`/v1/events?actor=carol&limit=2&cursor=${first.next_cursor}`);
    expect(other.statusCode).toBe(400);
    expect(other.json().error).toMatch(/different filter/);
    for (const bad of [
      'garbage!',
      'eyJ2IjoxfQ',
      Buffer.from('{"v":1,"f":"0","t":"1","s":"x","n":0}').toString('base64url'),
    ]) {
      const r = await get(`/v1/events?cursor=${encodeURIComponent(bad)}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().error).toMatch(/^cursor: /);
    }
    expect((await get('/v1/events?limit=1001')).json().error).toMatch(/limit: must be at most 1000/);
    expect((await get('/v1/events?limit=abc')).statusCode).toBe(400);
    expect((await get('/v1/events?colour=red')).json().error).toMatch(/colour/);
    expect((await get('/v1/events?from=yesterday')).json().error).toMatch(/^from: /);
    expect((await get('/v1/events?actor=a%00b')).json().error).toMatch(/control characters/);
  });

  it('treats LIKE, regex and full-text metacharacters as plain text', async () => {
    for (const v of ['%', '_', 'b.b', '.*', "bob' OR '1'='1", '\\', 'a|b & !c', '(', ':*']) {
      const r = await get(`/v1/events?actor=${encodeURIComponent(v)}`);
      expect(r.statusCode, v).toBe(200);
      expect(r.json().events, v).toEqual([]);
    }
    for (const v of ['!', 'bob & | !', '"unterminated', 'a:*', "o'brien"]) {
      const r = await get(`/v1/events?q=${encodeURIComponent(v)}`);
      expect(r.statusCode, v).toBeLessThan(500);
    }
    expect((await get(`/v1/events?q=${encodeURIComponent('%%%')}`)).json().error).toMatch(/letter or digit/);
  });

  it('full-text search matches an identifier as a whole token, not as its separate words', async () => {
    const ids = async (q: string) =>
      (await allPages(`q=${encodeURIComponent(q)}`, 1000)).map((e) => e.resource.id);
    expect(await ids('app-3')).toEqual(Array(6).fill('app-3'));
    expect(await ids('APP-3')).toHaveLength(6);
    // A run of words inside a longer identifier (loan.application_received) is a whole token too.
    expect(await ids('application_received')).toHaveLength(10);
    // Both words occur, but not as this identifier: no match.
    expect(await ids('received-loan')).toEqual([]);
    expect(await ids('app-3 or app-4')).toHaveLength(12);
    const others = await ids('-app-3 loan_application');
    expect(others).toHaveLength(24);
    expect(others).not.toContain('app-3');
    // Inside quotes, words and their order as before.
    expect(await ids('"app 3"')).toHaveLength(6);
  });

  it('full-text search finds envelope words; payload text is found until the payload is purged', async () => {
    const byWord = await allPages('q=application%20received', 1000);
    expect(byWord.length).toBe(10);
    expect(byWord.every((e) => e.event_type === 'loan.application_received')).toBe(true);
    expect((await allPages('q=loan.application_received', 1000)).length).toBe(10);
    // Payload words are not in the envelope index.
    expect(await allPages('q=zanzibar', 1000)).toEqual([]);
    // The access stream records each search's text in its (purgeable) payload: look at business streams.
    const hit = await allPages('payload_text=zanzibar%20trading&resource_type=loan_application', 1000);
    expect(hit.map((e) => e.payload)).toEqual([{ note: 'Zanzibar Trading Holdings' }]);
    const [target] = hit as [Ev];
    // The purge as retention does it: the purge record first, then the payload row goes.
    await t.asOwner(
      `INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason) VALUES ($1, $2, 'test-run', 'test');
       `.trim(),
      [target.stream, target.seq],
    );
    await t.asOwner('DELETE FROM ledger_payloads WHERE stream = $1 AND seq = $2', [
      target.stream,
      target.seq,
    ]);
    expect(await allPages('payload_text=zanzibar&resource_type=loan_application', 1000)).toEqual([]);
    const still = (await get(`/v1/events/${target.stream}/${target.seq}`)).json() as {
      event: Ev & { payload_purged: boolean };
    };
    expect(still.event).toMatchObject({ payload: null, payload_purged: true });
  });
});

describe('every read is recorded before it is answered', () => {
  it('records principal, filter and row count in the access stream', async () => {
    const res = await get('/v1/events?actor=bob&outcome=denied&limit=50');
    const rows = (res.json() as { events: unknown[] }).events.length;
    const r = await t.asOwner<{
      actor_id: string;
      action: string;
      payload: { filter: Record<string, unknown>; rows: number };
    }>(
      `SELECT e.actor_id, e.action, p.payload FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
        WHERE e.stream = 'access' AND e.event_type = 'api.ledger_read' ORDER BY e.seq DESC LIMIT 1`,
    );
    expect(r.rows[0]).toMatchObject({
      actor_id: 'alice',
      action: 'search',
      payload: { filter: { actor: 'bob', outcome: 'denied', limit: 50 }, rows },
    });
  });

  it('answers 503 and no data when the read cannot be recorded', async () => {
    // A ledger whose pool may not insert (the reader role): the append fails for real.
    const broken = buildApiServer({
      reader: t.connect('ledgerflow_reader'),
      writer,
      ledger: createLedger(t.connect('ledgerflow_reader')),
    });
    try {
      for (const url of [
        '/v1/events?actor=bob',
        '/v1/events/payments/1',
        '/v1/ledger/head',
        '/v1/ledger/keys',
      ]) {
        const res = await get(url, auditorKey, broken);
        expect(res.statusCode, url).toBe(503);
        expect(Object.keys(res.json())).toEqual(['error']);
        expect(res.body).not.toMatch(/note|payload/);
      }
    } finally {
      await broken.close();
    }
  });

  it('refuses a key revoked after it was used, at once and with no data', async () => {
    const made = await createApiKey(ledger, { principalId: 'alice', role: 'auditor' }, 'root');
    expect((await get('/v1/events?actor=bob', made.key)).statusCode).toBe(200);
    expect((await get('/v1/events?actor=bob', made.key)).statusCode).toBe(200);
    await revokeApiKey(ledger, made.keyId, 'root');
    for (const url of ['/v1/events?actor=bob', '/v1/events?limit=5000', '/v1/events?cursor=bad']) {
      const res = await get(url, made.key);
      expect(res.statusCode, url).toBe(401);
      expect(Object.keys(res.json()), url).toEqual(['error']);
    }
  });

  /** A server whose reader pool counts key-check statements and can hold their answers back. */
  const countingServer = () => {
    const reader = t.connect('ledgerflow_reader');
    const pool = reader.$client;
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    const seen = { started: 0, answered: 0, searches: 0, hold: undefined as Promise<void> | undefined };
    pool.query = (async (...args: unknown[]) => {
      if (String(args[0]).includes('FROM ledger_events e')) seen.searches++;
      if (!String(args[0]).includes('FROM api_keys')) return query(...args);
      seen.started++;
      const r = await query(...args);
      seen.answered++;
      if (seen.hold) await seen.hold;
      return r;
    }) as unknown as typeof pool.query;
    return { server: buildApiServer({ reader, writer, ledger }), seen };
  };

  it('shares key-check statements between concurrent requests with one key', async () => {
    const { server, seen } = countingServer();
    try {
      const all = await Promise.all(
        Array.from({ length: 16 }, () => get('/v1/events?actor=bob&limit=1', auditorKey, server)),
      );
      expect(all.map((r) => r.statusCode)).toEqual(Array(16).fill(200));
      // Before: one statement per request (16).
      expect(seen.started).toBeLessThanOrEqual(4);
    } finally {
      await server.close();
    }
  });

  it('refuses a request that arrives after its key was revoked, while a check of the key is still in flight', async () => {
    const made = await createApiKey(ledger, { principalId: 'alice', role: 'auditor' }, 'root');
    const { server, seen } = countingServer();
    try {
      expect((await get('/v1/events?actor=bob', made.key, server)).statusCode).toBe(200);
      let release = () => undefined as void;
      seen.hold = new Promise<void>((r) => (release = r));
      const before = { answered: seen.answered, searches: seen.searches };
      const early = get('/v1/events?actor=bob', made.key, server);
      // The early request's key check has its (valid) answer, held back from the server.
      await waitFor(
        () => seen.answered === before.answered + 1 && seen.searches === before.searches + 1,
        30_000,
        'the early key check and search',
      );
      await revokeApiKey(ledger, made.keyId, 'root');
      const late = get('/v1/events?actor=bob', made.key, server);
      // The late request asked for its key check (it starts its search after asking).
      await waitFor(() => seen.searches === before.searches + 2, 30_000, 'the late search');
      seen.hold = undefined;
      release();
      expect((await early).statusCode).toBe(200);
      const refused = await late;
      expect(refused.statusCode).toBe(401);
      expect(Object.keys(refused.json())).toEqual(['error']);
    } finally {
      await server.close();
    }
  });

  it('refuses roles without audit.read, and records the denial', async () => {
    const res = await get('/v1/events', operatorKey);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatch(/audit\.read/);
  });
});

describe('proof routes', () => {
  it('serves an event with its inclusion proof against the latest signed head', async () => {
    const res = await get('/v1/events/billing/7');
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      event: Ev & { hash: string };
      proof: InclusionProofDoc;
      head: {
        version: number;
        head: string;
        streams: Array<{ stream: string; tree_size: number; root_hash: string }>;
      };
    };
    expect(body.event).toMatchObject({ stream: 'billing', seq: 7 });
    expect(body.proof.eventHash).toBe(body.event.hash);
    const trusted = new Map([[signer.keyId, signer]]);
    expect(verifyProofDoc(body.proof, trusted)).toMatchObject({ valid: true, signatureTrusted: true });
    const line = parseHead(body.head.head).streams.find((s) => s.stream === 'billing');
    expect(line?.rootHash.toString('hex')).toBe(body.proof.rootHash);
    expect(line?.treeSize).toBe(body.proof.treeSize);
    expect((await get('/v1/events/billing/999')).statusCode).toBe(404);
    expect((await get('/v1/events/Bad!/1')).statusCode).toBe(400);
    expect((await get('/v1/events/billing/0')).statusCode).toBe(400);
  });

  it('says 409 for an event no signed head covers yet', async () => {
    const r = await ledger.append(sampleEvent(), { stream: 'billing', idempotencyKey: 'late' });
    const res = await get(`/v1/events/billing/${r.seq}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatch(/not yet covered by a signed ledger head/);
  });

  it('serves the head, the signed heads and the public keys marked as served, not pinned', async () => {
    await ledger.head();
    const head = (await get('/v1/ledger/head')).json() as { version: number; head: string };
    expect(parseHead(head.head).version).toBe(head.version);
    const heads = (await get('/v1/ledger/heads?limit=1')).json() as {
      heads: Array<{ version: number }>;
      next_before: number | null;
    };
    expect(heads.heads[0]?.version).toBe(head.version);
    expect(heads.next_before).toBe(head.version);
    const older = (await get(`/v1/ledger/heads?before=${head.version}`)).json() as {
      heads: Array<{ version: number }>;
    };
    expect(older.heads.map((h) => h.version)).toEqual([head.version - 1]);
    const keys = (await get('/v1/ledger/keys')).json() as {
      pinned: boolean;
      note: string;
      trusted_keys_file: string;
    };
    expect(keys.pinned).toBe(false);
    expect(keys.note).toMatch(/NOT a trust anchor/);
    expect([...parseTrustedKeys(keys.trusted_keys_file).keys()]).toEqual([signer.keyId]);
  });
});
