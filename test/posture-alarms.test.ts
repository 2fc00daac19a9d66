import { createHmac, randomBytes } from 'node:crypto';
import { utimesSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postureCheckWorkflow, PostureFailure, type PostureCheckResult } from '../contracts/posture';
import { chainVerificationWorkflow } from '../contracts/verification';
import { verifyPostureReport, type SignedPostureReport } from '../core/posture/signing';
import { readPinnedKeys } from '../ledger/keys';
import { loadConfig } from '../runtime/config';
import { recordAlarmChange, type AlarmDelivery } from '../services/posture/alarms';
import { POSTURE_REPORT_EVENT } from '../services/posture/report';
import { runChainVerification } from '../services/verification/chain-verification';
import { createTestDatabase, type TestDatabase } from './helpers';
import { healthySystem, waitFor, type HealthySystem } from './posture-helpers';
import { appendEvents, dbNow, executeAuthorized, waitForScheduleRun } from './support';
import { scheduleId } from '../client/commands/schedules';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal-helpers';

const SECRET = 'posture-test-webhook-secret';

interface Received {
  delivery: string;
  signatureValid: boolean;
  body: AlarmDelivery;
  answered: number;
}

let t: TestDatabase;
let temporal: TemporalTestEnv;
let sys: HealthySystem;
let server: http.Server;
const received: Received[] = [];

/** A real webhook receiver: checks the HMAC, answers 503 to the first attempt of each delivery. */
function startReceiver(): Promise<string> {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      const delivery = String(req.headers['x-ledgerflow-delivery']);
      const seen = received.some((r) => r.delivery === delivery);
      const answered = seen ? 200 : 503;
      received.push({
        delivery,
        signatureValid: req.headers['x-ledgerflow-signature'] === expected,
        body: JSON.parse(raw) as AlarmDelivery,
        answered,
      });
      res.writeHead(answered).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/alarms`),
    ),
  );
}

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  sys = await healthySystem(t, temporal);
  const url = await startReceiver();
  await temporal.startWorker({
    db: sys.db,
    ledger: sys.ledger,
    signer: sys.signer,
    witness: sys.witness,
    posture: { signingKeyFile: sys.signingKeyFile, webhook: { url, secret: SECRET } },
  });
});
afterAll(async () => {
  await sys?.deleteSchedules();
  await temporal?.close();
  server?.close();
  await t?.drop();
});

const runPosture = (args: { asOf?: string; settings?: Record<string, unknown> } = {}) =>
  executeAuthorized(sys.db, 'test', temporal.client, postureCheckWorkflow, {
    taskQueue: temporal.taskQueue,
    workflowId: `posture-${randomBytes(4).toString('hex')}`,
    args: [{ requestedBy: 'test', asOf: args.asOf, settings: { ...sys.settings, ...args.settings } }],
  });

const alarmEvents = (alarmId: string) =>
  t.asOwner<{ event_type: string; seq: string }>(
    `SELECT event_type, seq FROM ledger_events WHERE stream = 'compliance' AND resource_id = $1 ORDER BY seq`,
    [alarmId],
  );

describe('postureCheck workflow: signed report and alarms', () => {
  it('stores a signed report that verifies as a ledger event', async () => {
    const r = await runPosture();
    expect(r.ok).toBe(true);
    expect(r.summary).toEqual({ pass: 10, fail: 0, error: 0 });
    const row = await t.asOwner<{ event_type: string; payload: SignedPostureReport }>(
      `SELECT e.event_type, p.payload FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
        WHERE e.stream = $1 AND e.seq = $2`,
      [r.report.stream, r.report.seq],
    );
    const stored = row.rows[0]!;
    expect(stored.event_type).toBe(POSTURE_REPORT_EVENT);
    expect(stored.payload.report.results.map((x) => x.status)).toEqual(Array(10).fill('pass'));
    expect(stored.payload.signature.key_id).toBe(sys.signer.keyId);
    expect(verifyPostureReport(stored.payload, sys.signer.publicKey)).toBe(true);
    const forged = structuredClone(stored.payload);
    forged.report.results[0]!.status = 'fail';
    expect(verifyPostureReport(forged, sys.signer.publicKey)).toBe(false);
    // The event is part of the hash chain: the compliance stream verifies from its genesis.
    const v = await runChainVerification(
      { db: sys.db, pinnedKeys: () => readPinnedKeys(loadConfig()) },
      { streams: ['compliance'], full: true },
      () => undefined,
    );
    expect(v.ok).toBe(true);
    expect(v.streams[0]!.eventsChecked).toBeGreaterThanOrEqual(r.report.seq);
  });

  it('an event-volume drop fires once, reaches the webhook signed (retried), and resolves', async () => {
    const stream = `vol${randomBytes(3).toString('hex')}`;
    await appendEvents(sys.db, 60, { prefix: stream, stream });
    const appendedAt = Date.parse(await dbNow(t));
    const settings = { volumeWindowMinutes: 1, volumeBaselineWindows: 5, volumeMinBaseline: 5 };
    const later = new Date(appendedAt + 2 * 60_000).toISOString();

    const r = await runPosture({ asOf: later, settings });
    expect(r.alarms).toEqual([
      { alarm_id: `volume_drop:${stream}`, state: 'fired', seq: expect.any(Number), delivered: true },
    ]);
    const got = received.filter((x) => x.body.alarm_id === `volume_drop:${stream}`);
    expect(got.map((x) => x.answered)).toEqual([503, 200]);
    expect(got.every((x) => x.signatureValid)).toBe(true);
    expect(new Set(got.map((x) => x.delivery)).size).toBe(1);
    expect(got[1]!.body).toMatchObject({
      kind: 'volume_drop',
      state: 'fired',
      severity: 'critical',
      ledger: { stream: 'compliance', seq: r.alarms[0]!.seq },
    });
    expect(got[1]!.body.detail).toMatch(/0 events in the last 1 min against a baseline of 12\.0 per window/);

    // Still dropping: nothing new; a retried record of the same firing writes nothing.
    expect((await runPosture({ asOf: later, settings })).alarms).toEqual([]);
    const again = await recordAlarmChange(
      sys.ledger,
      {
        state: 'fired',
        condition: {
          alarm_id: `volume_drop:${stream}`,
          kind: 'volume_drop',
          severity: 'critical',
          detail: 'x',
        },
        after_seq: 0,
      },
      { actor: { type: 'workflow', id: 'postureCheck' } },
    );
    expect(again.ledger.seq).toBe(r.alarms[0]!.seq);
    expect((await alarmEvents(`volume_drop:${stream}`)).rows.map((x) => x.event_type)).toEqual([
      'alarm.fired',
    ]);

    // Volume back within the window: resolved, as a ledger event and a delivery.
    const back = await runPosture({ asOf: new Date(appendedAt + 30_000).toISOString(), settings });
    expect(back.alarms).toEqual([
      { alarm_id: `volume_drop:${stream}`, state: 'resolved', seq: expect.any(Number), delivered: true },
    ]);
    expect((await alarmEvents(`volume_drop:${stream}`)).rows.map((x) => x.event_type)).toEqual([
      'alarm.fired',
      'alarm.resolved',
    ]);
    const resolved = received.filter(
      (x) => x.body.alarm_id === `volume_drop:${stream}` && x.body.state === 'resolved',
    );
    expect(resolved.at(-1)).toMatchObject({ signatureValid: true, answered: 200 });
  });

  it('a failed chain verification fails the posture check and fires alarms that reach the webhook', async () => {
    await appendEvents(sys.db, 5, { prefix: 'chain', stream: 'chain' });
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      await c.query(
        `SET session_replication_role = replica;
         UPDATE ledger_events SET resource_id = 'tampered' WHERE stream = 'chain' AND seq = 2;
         SET session_replication_role = origin;`,
      );
    } finally {
      await c.end();
    }
    const verification = await executeAuthorized(sys.db, 'test', temporal.client, chainVerificationWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: `verify-${randomBytes(4).toString('hex')}`,
      args: [{ full: true, requestedBy: 'test' }],
    }).then(
      () => 'ok',
      () => 'failed',
    );
    expect(verification).toBe('failed');

    const err = await runPosture().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe(PostureFailure.PostureCheckFailed);
    expect(cause.message).toMatch(/posture check failed: verification-recent/);
    const details = cause.details?.[0] as Pick<PostureCheckResult, 'alarms' | 'failing'>;
    expect(details.failing.map((f) => f.id)).toEqual(['verification-recent']);
    expect(details.alarms.map((a) => [a.alarm_id, a.state, a.delivered]).sort()).toEqual([
      ['posture:verification-recent', 'fired', true],
      ['verification_failed', 'fired', true],
    ]);
    const got = await waitFor(async () => {
      const x = received.find((r) => r.body.kind === 'verification_failed' && r.answered === 200);
      return x;
    }, 'the verification alarm delivery');
    expect(got.signatureValid).toBe(true);
    expect(got.body.detail).toMatch(/the last chain verification failed \(compliance#\d+/);
    // The alarm is a ledger event.
    expect((await alarmEvents('verification_failed')).rows.map((x) => x.event_type)).toEqual(['alarm.fired']);
  });

  it('a failed retention run and an aged key fire purge_failed and key_age alarms', async () => {
    // The retention schedule's next run gets input the workflow rejects: a real failed run.
    const h = temporal.client.schedule.getHandle(scheduleId('retention', sys.prefix));
    await h.update((prev) => ({
      ...prev,
      action: { ...prev.action, args: [{ batchSize: -1 }] } as typeof prev.action,
    }));
    await h.trigger();
    const run = await waitForScheduleRun(temporal.client, scheduleId('retention', sys.prefix), 1);
    await expect(run.result()).rejects.toThrow();
    const old = new Date(Date.now() - 400 * 86_400_000);
    utimesSync(sys.signingKeyFile, old, old);
    try {
      const err = (await runPosture().then(
        () => undefined,
        (e: unknown) => e,
      )) as WorkflowFailedError;
      const details = (err.cause as ApplicationFailure).details?.[0] as Pick<
        PostureCheckResult,
        'alarms' | 'failing'
      >;
      expect(details.failing.map((f) => f.id)).toEqual(['verification-recent', 'signing-key-rotation']);
      expect(details.alarms.map((a) => `${a.alarm_id} ${a.state}`).sort()).toEqual([
        'key_age fired',
        'posture:signing-key-rotation fired',
        'purge_failed fired',
      ]);
      const purge = received.find((r) => r.body.alarm_id === 'purge_failed' && r.answered === 200);
      expect(purge?.body.detail).toBe('the last retention purge run FAILED');
    } finally {
      const now = new Date();
      utimesSync(sys.signingKeyFile, now, now);
    }
  });
});
