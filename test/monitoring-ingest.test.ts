import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerAlertRoutes } from '../api/routes/alerts';
import { ingestText, listAlerts, type MonitoringDeps } from '../services/monitoring';
import { ensurePrincipal } from '../services/principals/principals';
import { createTestDatabase, type TestDatabase } from './helpers';
import { runCli } from './monitoring-cli';
import { HOUR, actor, deps, jsonl, tx } from './monitoring-helpers';

let t: TestDatabase;
let d: MonitoringDeps;
beforeAll(async () => {
  t = await createTestDatabase();
  d = deps(t);
  await ensurePrincipal(d.db, 'mon-admin', ['admin']);
  await ensurePrincipal(d.db, 'mon-viewer', ['reviewer']);
});
afterAll(() => t?.drop());

const cash = (a: string, at: number, amount = '9000.00') =>
  tx(a, at, { channel: 'cash', direction: 'credit', amount, counterparty_id: 'branch' });
const count = async (sql: string, args: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, args)).rows[0]!.n);

describe('late data', () => {
  it('a transaction within the lateness is evaluated in event-time order with the later ones', async () => {
    const a = 'late-in';
    await ingestText(d, actor, jsonl([cash(a, 10 * HOUR), cash(a, 12 * HOUR)]));
    expect((await listAlerts(d.db, { account: a })).alerts).toHaveLength(0);
    const s = await ingestText(d, actor, jsonl([cash(a, 12 * HOUR - 23 * HOUR)]));
    expect(s).toMatchObject({ accepted: 1, evaluated: 1, late: 0, alerts: 1 });
    const [alert] = (await listAlerts(d.db, { account: a })).alerts;
    expect(alert).toMatchObject({ typology: 'structuring' });
    expect(alert!.transaction_ids).toHaveLength(3);
  });
  it('beyond the lateness it is recorded as late and not evaluated', async () => {
    const a = 'late-out';
    await ingestText(d, actor, jsonl([cash(a, 10 * HOUR), cash(a, 30 * HOUR)]));
    const late = cash(a, 30 * HOUR - 24 * HOUR - 1);
    const s = await ingestText(d, actor, jsonl([late]));
    expect(s).toMatchObject({ accepted: 1, evaluated: 0, late: 1, alerts: 0 });
    expect(
      (
        await t.asOwner(`SELECT status FROM monitoring_transactions WHERE transaction_id = $1`, [
          late.transaction_id,
        ])
      ).rows[0],
    ).toEqual({ status: 'late' });
    expect((await listAlerts(d.db, { account: a })).alerts).toHaveLength(0);
  });
});

describe('idempotence', () => {
  it('re-ingesting a file creates no new alert or ledger event; the same id with other content is rejected and recorded', async () => {
    const a = 'idem';
    const txs = [cash(a, 0), cash(a, HOUR), cash(a, 2 * HOUR)];
    const first = await ingestText(d, actor, jsonl(txs), 'f.jsonl');
    expect(first).toMatchObject({ accepted: 3, alerts: 1 });
    const events = await count(`SELECT count(*) AS n FROM ledger_events WHERE stream = 'monitoring'`);
    const again = await ingestText(d, actor, jsonl(txs), 'f.jsonl');
    expect(again).toMatchObject({ accepted: 0, duplicates: 3, alerts: 0, rejected: 0 });
    expect(await count(`SELECT count(*) AS n FROM ledger_events WHERE stream = 'monitoring'`)).toBe(events);
    const changed = { ...txs[0]!, amount: '9100.00' };
    const r = await ingestText(d, actor, jsonl([changed, cash(a, 3 * HOUR, '50.00')]), 'g.jsonl');
    expect(r).toMatchObject({ accepted: 1, rejected: 1, alerts: 0 });
    expect(r.rejections).toEqual([
      {
        line: 1,
        transaction_id: changed.transaction_id,
        reason: 'transaction_id already ingested with different content',
      },
    ]);
    expect(
      (
        await t.asOwner(`SELECT source, line, reason FROM monitoring_rejections WHERE transaction_id = $1`, [
          changed.transaction_id,
        ])
      ).rows,
    ).toEqual([
      { source: 'g.jsonl', line: 1, reason: 'transaction_id already ingested with different content' },
    ]);
    expect((await listAlerts(d.db, { account: a })).alerts).toHaveLength(1);
  });
});

describe('bad input', () => {
  it('rejects each bad line with its number and reason, processes the rest, writes nothing of the bad lines', async () => {
    const file = path.join(__dirname, 'fixtures', 'monitoring', 'bad-input.jsonl');
    const r = await runCli(t, ['tx', 'ingest', file, '--json']);
    expect(r.code, r.err).toBe(1);
    const s = JSON.parse(r.out) as {
      accepted: number;
      rejected: number;
      alerts: number;
      rejections: unknown[];
    };
    expect(s).toMatchObject({ lines: 9, accepted: 2, rejected: 7, alerts: 0 });
    expect(s.rejections).toEqual([
      { line: 2, transaction_id: null, reason: 'malformed JSON' },
      { line: 3, transaction_id: 'bad-ccy', reason: 'currency: unknown currency (ISO 4217)' },
      { line: 4, transaction_id: 'bad-country', reason: 'country: unknown country (ISO 3166-1 alpha-2)' },
      {
        line: 5,
        transaction_id: 'bad-negative',
        reason: 'amount: must be a positive decimal string such as "125.50"',
      },
      {
        line: 6,
        transaction_id: 'bad-decimal',
        reason: 'amount: must be a positive decimal string such as "125.50"',
      },
      {
        line: 7,
        transaction_id: 'bad-missing',
        reason: expect.stringMatching(/^counterparty_id: /) as unknown as string,
      },
      { line: 8, transaction_id: 'bad-ok-1', reason: 'transaction_id already used with different content' },
    ]);
    // Had lines 3-8 been accepted, the account would have a structuring alert: none was raised.
    expect((await listAlerts(d.db, { account: 'acc-bad' })).alerts).toHaveLength(0);
    expect(
      await count(`SELECT count(*) AS n FROM monitoring_transactions WHERE account_id = 'acc-bad'`),
    ).toBe(2);
    expect(await count(`SELECT count(*) AS n FROM monitoring_rejections WHERE source = $1`, [file])).toBe(7);
    const text = await runCli(t, ['tx', 'ingest', file]);
    expect(text.err).toMatch(/2 already ingested, 7 rejected/);
    expect(text.out).toMatch(/malformed JSON/);
  });
  it('an unreadable file is one clear line', async () => {
    const r = await runCli(t, ['tx', 'ingest', '/nonexistent/x.jsonl']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('error: cannot read /nonexistent/x.jsonl: ENOENT\n');
  });
});

describe('alerts list / show, the ledger event and the API', () => {
  it('shows which rule, which numbers, which thresholds, which transactions', async () => {
    const a = 'show-1';
    const txs = [cash(a, 0, '8000.00'), cash(a, HOUR, '9900.00'), cash(a, 2 * HOUR, '9500.00')];
    const s = await ingestText(d, actor, jsonl([tx(a, -HOUR), ...txs]));
    const id = s.alert_ids[0]!;
    const list = await runCli(t, ['alerts', 'list', '--account', a, '--json'], 'mon-viewer');
    expect(
      (JSON.parse(list.out) as { alerts: Array<{ alert_id: string }> }).alerts.map((x) => x.alert_id),
    ).toEqual([id]);
    const show = await runCli(t, ['alerts', 'show', id], 'mon-viewer');
    expect(show.code, show.err).toBe(0);
    expect(show.out).toContain(`Alert ${id}: ALERT (structuring, score 100)`);
    expect(show.out).toContain(`transactions  ${txs.map((x) => x.transaction_id).join(', ')}`);
    expect(show.out).toMatch(
      /BREACHED structuring v1: value 3; threshold 3; params \{"maxShare":0.99,"minCount":3,"minShare":0.8,"windowHours":48,"reportingThreshold":10000\}/,
    );
    expect(show.out).toMatch(/ok {7}high_risk_country v1: value 0; threshold 1/);
    expect(show.out).toContain(
      `* ${txs[1]!.occurred_at}  ${txs[1]!.transaction_id}  credit cash 9900.00 EUR  branch  FR`,
    );
    const json = JSON.parse((await runCli(t, ['alerts', 'show', id, '--json'], 'mon-viewer')).out) as Record<
      string,
      unknown
    >;
    expect(Object.keys(json).slice(0, 9)).toEqual([
      'alert_id',
      'account_id',
      'transaction_ids',
      'typology',
      'score',
      'decision',
      'rules',
      'snapshot',
      'created_at',
    ]);
    const ev = await t.asOwner<{ event_type: string; subject_id: string; payload: { alert_id: string } }>(
      `SELECT e.event_type, e.subject_id, p.payload FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
        WHERE e.stream = 'monitoring' AND e.resource_id = $1`,
      [id],
    );
    expect(ev.rows).toEqual([
      expect.objectContaining({
        event_type: 'monitoring.alert_raised',
        subject_id: a,
        payload: expect.objectContaining({ alert_id: id }),
      }),
    ]);
    const denied = await runCli(t, ['alerts', 'show', id], 'nobody');
    expect(denied).toMatchObject({ code: 2, out: '' });
    expect(denied.err).toMatch(/^error: denied: unknown principal "nobody"/);
  });

  it('pages with a cursor and filters by rule; the API answers the same', async () => {
    const a = 'page';
    await ingestText(d, actor, jsonl([0, 1, 2].map((i) => tx(a, i * HOUR, { country: 'IR' }))));
    const p1 = await listAlerts(d.db, { account: a, limit: 2 });
    expect(p1.alerts).toHaveLength(2);
    const p2 = await listAlerts(d.db, { account: a, limit: 2, cursor: p1.next_cursor! });
    expect(p2).toMatchObject({ next_cursor: null });
    expect(p2.alerts).toHaveLength(1);
    expect((await listAlerts(d.db, { account: a, rule: 'structuring' })).alerts).toHaveLength(0);
    expect((await listAlerts(d.db, { account: a, rule: 'high_risk_country' })).alerts).toHaveLength(3);

    const app = Fastify();
    registerAlertRoutes(app, {
      reader: t.connect('ledgerflow_reader'),
      preHandler: async (req, reply) => {
        if (req.headers.authorization !== 'Bearer auditor') await reply.code(401).send({ error: 'no' });
      },
    });
    const auth = { authorization: 'Bearer auditor' };
    expect((await app.inject({ url: '/v1/alerts' })).statusCode).toBe(401);
    const res = await app.inject({ url: `/v1/alerts?account=${a}&limit=2`, headers: auth });
    expect(res.json()).toEqual(JSON.parse(JSON.stringify(p1)));
    const one = await app.inject({ url: `/v1/alerts/${p2.alerts[0]!.alert_id}`, headers: auth });
    expect(one.json()).toEqual(JSON.parse(JSON.stringify(p2.alerts[0])));
    expect(
      (await app.inject({ url: '/v1/alerts/00000000-0000-0000-0000-000000000000', headers: auth }))
        .statusCode,
    ).toBe(404);
    expect((await app.inject({ url: '/v1/alerts?limit=0', headers: auth })).statusCode).toBe(400);
    expect((await app.inject({ url: '/v1/alerts?cursor=zzz', headers: auth })).statusCode).toBe(400);
    await app.close();
  });
});
