import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApiServer } from '../api/server';
import { bootstrapAdmin } from '../client/bootstrap';
import { resolvePrincipal } from '../client/principals';
import { action } from '../client/run-command';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { authenticate, createApiKey, revokeApiKey } from '../services/principals/api-keys';
import { PERMISSIONS, PrincipalError } from '../services/principals/authorization';
import {
  addPrincipal,
  changeRoles,
  deactivatePrincipal,
  ensurePrincipalRecorded,
} from '../services/principals/principals';
import { placeHold } from '../services/retention/holds';
import { syncPolicies } from '../services/retention/policies';
import { DEFAULT_RETENTION_CONFIG } from '../core/retention';
import { createTestDatabase, type TestDatabase } from './helpers';

let t: TestDatabase;
let db: Database;
let app: FastifyInstance;
let emitterKey: string;
let auditorKey: string;

const events = async (where: string, params: unknown[] = []) =>
  (
    await t.asOwner<{
      stream: string;
      event_type: string;
      actor_type: string;
      actor_id: string;
      resource_id: string;
      outcome: string;
    }>(
      `SELECT stream, event_type, actor_type, actor_id, resource_id, outcome FROM ledger_events WHERE ${where} ORDER BY stream, seq`,
      params,
    )
  ).rows;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  const ledger = createLedger(db);
  const admin = await bootstrapAdmin(ledger, () => undefined);
  await addPrincipal(ledger, { id: 'svc-billing', displayName: 'Billing', roles: ['emitter'] }, admin);
  await addPrincipal(ledger, { id: 'rita', displayName: 'Rita Reviewer', roles: ['reviewer'] }, admin);
  await addPrincipal(ledger, { id: 'audit-1', displayName: 'Auditor', roles: ['auditor'] }, admin);
  emitterKey = (
    await createApiKey(
      ledger,
      { principalId: 'svc-billing', role: 'emitter', streams: ['billing'], eventTypes: ['billing.*'] },
      admin,
    )
  ).key;
  auditorKey = (await createApiKey(ledger, { principalId: 'audit-1', role: 'auditor' }, admin)).key;
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer: db, ledger });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
});

const post = (key: string, body: object, ip = '127.0.0.1') =>
  app.inject({
    method: 'POST',
    url: '/v1/events',
    headers: { authorization: `Bearer ${key}` },
    payload: body,
    remoteAddress: ip,
  });

const forgedDecline = {
  stream: 'loan',
  idempotency_key: 'x1',
  event: {
    event_type: 'loan.decision_made',
    actor: { type: 'user', id: 'rita' },
    resource: { type: 'loan_application', id: 'APP-1' },
    action: 'decide',
    outcome: 'success',
    case_id: 'APP-1',
    payload: { decision: 'declined' },
  },
};

describe('actors cannot be forged through the API', () => {
  it('an emitter key cannot write a decision into the loan stream, nor a hold release into compliance', async () => {
    expect((await post(emitterKey, forgedDecline)).statusCode).toBe(403);
    const release = {
      stream: 'compliance',
      idempotency_key: 'x2',
      event: {
        ...forgedDecline.event,
        event_type: 'legal_hold.released',
        actor: { type: 'user', id: 'ops1' },
      },
    };
    expect((await post(emitterKey, release)).statusCode).toBe(403);
    expect(await events(`stream IN ('loan', 'compliance')`)).toEqual([]);
    // The refusal of the authenticated key is on record, with the key's principal as actor (once
    // per minute: two if the minute turned between the two requests).
    const denied = await events(`event_type = 'access.denied'`);
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied.length).toBeLessThanOrEqual(2);
    for (const e of denied)
      expect([e.actor_id, e.resource_id, e.outcome]).toEqual(['svc-billing', 'events.emit', 'denied']);
  });

  it('an emitter key writes only granted event types, as itself; naming another actor needs a delegation grant', async () => {
    const own = {
      stream: 'billing',
      idempotency_key: 'inv-1',
      event: {
        event_type: 'billing.invoice_sent',
        resource: { type: 'invoice', id: 'inv-1' },
        action: 'send',
        outcome: 'success',
      },
    };
    expect((await post(emitterKey, own)).statusCode).toBe(201);
    expect(
      (
        await post(emitterKey, {
          ...own,
          idempotency_key: 'x3',
          event: { ...own.event, event_type: 'loan.approved' },
        })
      ).statusCode,
    ).toBe(403);
    const claimingRita = {
      ...own,
      idempotency_key: 'inv-2',
      event: { ...own.event, actor: { type: 'user', id: 'rita' } },
    };
    expect((await post(emitterKey, claimingRita)).statusCode).toBe(403);
    const delegating = (
      await createApiKey(
        createLedger(db),
        {
          principalId: 'svc-billing',
          role: 'emitter',
          streams: ['billing'],
          eventTypes: ['billing.invoice_sent'],
          mayDelegate: true,
        },
        'admin',
      )
    ).key;
    expect((await post(delegating, claimingRita)).statusCode).toBe(201);
    const [row] = (
      await t.asOwner<{ actor_type: string; actor_id: string; on_behalf_of: unknown }>(
        `SELECT e.actor_type, e.actor_id, p.payload->'on_behalf_of' AS on_behalf_of
           FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
          WHERE e.stream = 'billing' ORDER BY e.seq DESC LIMIT 1`,
      )
    ).rows;
    expect(row).toEqual({
      actor_type: 'service',
      actor_id: 'svc-billing',
      on_behalf_of: { type: 'user', id: 'rita' },
    });
  });

  it('no key may be granted one of ledgerflow’s own streams', async () => {
    await expect(
      createApiKey(
        createLedger(db),
        { principalId: 'svc-billing', role: 'emitter', streams: ['loan'], eventTypes: ['loan.*'] },
        'admin',
      ),
    ).rejects.toThrow(/ledgerflow's own/);
  });
});

describe('denials', () => {
  it('401 for missing, unknown, revoked and expired keys, summarised once per source per minute with the claim only in the payload', async () => {
    const before = (await events(`event_type = 'access.denied.summary'`)).length;
    const ip = '203.0.113.7';
    const get = (headers: Record<string, string>) =>
      app.inject({ method: 'GET', url: '/v1/events', headers, remoteAddress: ip });
    const { keyId, key } = await createApiKey(
      createLedger(db),
      { principalId: 'audit-1', role: 'auditor' },
      'admin',
    );
    await revokeApiKey(createLedger(db), keyId, 'admin');
    const expired = (
      await createApiKey(
        createLedger(db),
        { principalId: 'audit-1', role: 'auditor', expiresAt: new Date(Date.now() - 1000) },
        'admin',
      )
    ).key;
    const statuses = [
      (await get({})).statusCode,
      (await get({ authorization: 'Bearer lfk_000000000000_mallorymallorymallorymallorymallory' }))
        .statusCode,
      (await get({ authorization: `Bearer ${key}` })).statusCode,
      (await get({ authorization: `Bearer ${expired}` })).statusCode,
    ];
    for (let i = 0; i < 20; i++)
      await get({ authorization: `Bearer lfk_00000000000${i % 10}_${'x'.repeat(40)}` });
    expect(statuses).toEqual([401, 401, 401, 401]);
    const summaries = await events(`event_type = 'access.denied.summary'`);
    // At most one per source per minute: two if the minute turned during the requests.
    expect(summaries.length - before).toBeGreaterThanOrEqual(1);
    expect(summaries.length - before).toBeLessThanOrEqual(2);
    for (const s of summaries) {
      expect(JSON.stringify(s)).not.toMatch(/mallory|203\.0\.113\.7/);
      expect(s.actor_id).toBe('ledgerflow');
    }
  });

  it('403 for a known key without the permission, recorded with its principal', async () => {
    const r = await post(auditorKey, { stream: 'billing', idempotency_key: 'a1', event: {} });
    expect(r.statusCode).toBe(403);
    expect((await events(`event_type = 'access.denied' AND actor_id = 'audit-1'`)).length).toBe(1);
  });

  it('a flood of denials of a known principal is recorded once per minute, API and CLI alike', async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < 40; i++)
      statuses.add(
        (await post(auditorKey, { stream: `billing-${i}`, idempotency_key: `f${i}`, event: {} })).statusCode,
      );
    expect([...statuses]).toEqual([403]);
    const ctx = { ledger: () => createLedger(db) };
    for (let i = 0; i < 40; i++)
      await expect(resolvePrincipal(ctx, 'rita', 'hold.place')).rejects.toMatchObject({ kind: 'forbidden' });
    const flood = await t.asOwner<{ actor_id: string; resource_id: string; source: string; n: number }>(
      `SELECT actor_id, resource_id, context->'request'->>'source' AS source, count(*)::int AS n
         FROM ledger_events WHERE event_type = 'access.denied' AND actor_id IN ('audit-1', 'rita')
        GROUP BY 1, 2, 3 ORDER BY 1`,
    );
    // One event per principal, action and channel per minute (audit-1's includes the test above;
    // one more if the minute turned meanwhile), never one per request.
    expect(flood.rows.map((r) => [r.actor_id, r.resource_id, r.source])).toEqual([
      ['audit-1', 'events.emit', 'api'],
      ['rita', 'hold.place', 'cli'],
    ]);
    for (const r of flood.rows) expect(r.n).toBeLessThanOrEqual(2);
    expect(
      (await events(`event_type = 'access.denied' AND actor_id = 'rita'`)).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('authenticate lets database errors through instead of calling them an unknown principal', async () => {
    const broken = t.connect('ledgerflow_purger');
    await expect(authenticate(broken, `lfk_000000000000_${'y'.repeat(40)}`)).rejects.toThrow(
      /permission denied/,
    );
  });
});

describe('principals are records', () => {
  it('bootstrap adds an admin with principal.added, once; after that nobody adds principals without an admin', async () => {
    expect(await events(`event_type = 'principal.added' AND resource_id = 'admin'`)).toMatchObject([
      { stream: 'admin', actor_type: 'system', actor_id: 'bootstrap' },
    ]);
    const lines: string[] = [];
    expect(await bootstrapAdmin(createLedger(db), (l) => lines.push(l))).toBe('admin');
    expect(lines.join('\n')).toMatch(/LEDGERFLOW_PRINCIPAL=admin/);
    await expect(
      addPrincipal(createLedger(db), { id: 'eve', displayName: 'Eve', roles: ['admin'] }, undefined),
    ).rejects.toThrow(/no acting principal/);
    await expect(
      addPrincipal(createLedger(db), { id: 'eve', displayName: 'Eve', roles: ['admin'] }, 'rita'),
    ).rejects.toThrow(/lacks the "admin" role/);
  });

  it('role changes, deactivation and key changes are ledger events by the acting admin; a deactivated principal cannot act', async () => {
    const ledger = createLedger(db);
    await ensurePrincipalRecorded(
      ledger,
      { id: 'comp-1', displayName: 'Compliance', roles: ['reviewer'] },
      'admin',
    );
    await expect(
      placeHold(ledger, { scope: 'case', value: 'c-1', caseId: 'c-1', reason: 'r', placedBy: 'comp-1' }),
    ).rejects.toThrow(/lacks the "compliance" role/);
    await changeRoles(ledger, 'comp-1', ['compliance'], 'admin');
    await placeHold(ledger, { scope: 'case', value: 'c-1', caseId: 'c-1', reason: 'r', placedBy: 'comp-1' });
    await deactivatePrincipal(ledger, 'comp-1', 'left the bank', 'admin');
    await expect(
      placeHold(ledger, { scope: 'case', value: 'c-2', caseId: 'c-2', reason: 'r', placedBy: 'comp-1' }),
    ).rejects.toMatchObject({ kind: 'inactive' });
    await expect(deactivatePrincipal(ledger, 'admin', 'x', 'admin')).rejects.toThrow(/last active admin/);
    await expect(t.asOwner(`DELETE FROM principals WHERE id = 'comp-1'`)).rejects.toThrow(
      /cannot be deleted/,
    );
    const changes = await events(
      `stream = 'admin' AND (resource_id = 'comp-1' OR event_type LIKE 'api.key_%')`,
    );
    expect(changes.map((e) => e.event_type)).toEqual(
      expect.arrayContaining([
        'principal.added',
        'principal.roles_changed',
        'principal.deactivated',
        'api.key_created',
        'api.key_revoked',
      ]),
    );
    expect(new Set(changes.map((e) => e.actor_id))).toEqual(new Set(['admin']));
  });
});

describe('services check the principal themselves', () => {
  it('syncPolicies stores nothing for an unknown or under-privileged principal', async () => {
    const sync = (changedBy: string) =>
      syncPolicies(createLedger(db), DEFAULT_RETENTION_CONFIG, { changedBy, reason: 'annual review' });
    await expect(sync('nobody-here')).rejects.toMatchObject({ kind: 'unknown' });
    await expect(sync('rita')).rejects.toThrow(/lacks the "compliance" role/);
    expect((await t.asOwner(`SELECT 1 FROM retention_policies`)).rowCount).toBe(0);
  });
});

describe('errors never print personal data', () => {
  it('an unexpected error is one line naming its kind, never its message or stack', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const err = Object.assign(
        new Error('Failed query: insert into loan_applications params: Maria,1984-06-02,ID-APP1'),
        { code: '22P05' },
      );
      await action(async () => {
        throw err;
      })();
      const out = write.mock.calls.map((c) => String(c[0])).join('');
      expect(out.trim().split('\n')).toHaveLength(1);
      expect(out).not.toMatch(/Maria|1984-06-02|ID-APP1|\n\s+at /);
      expect(out).toMatch(/unexpected Error \(code 22P05\)/);
      expect(process.exitCode).toBe(1);
    } finally {
      write.mockRestore();
      process.exitCode = 0;
    }
  });

  it('a denial is PrincipalError with exit 2', async () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await action(async () => {
        throw new PrincipalError('unknown principal "ghost"', 'unknown');
      })();
      expect(process.exitCode).toBe(2);
    } finally {
      write.mockRestore();
      process.exitCode = 0;
    }
  });
});

describe('docs', () => {
  it('docs/identity.md lists exactly the actions and roles of the PERMISSIONS table', () => {
    const doc = readFileSync(path.join(__dirname, '..', 'docs', 'identity.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z_.]+)` +\| ([a-z, ]+?) +\|/gm)].map((m) => [
      m[1],
      (m[2] as string).split(', '),
    ]);
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(PERMISSIONS).map(([a, roles]) => [a, [...roles]])),
    );
  });
});
