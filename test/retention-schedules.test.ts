import { randomBytes } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncPolicies } from '../services/retention/policies';
import {
  SCHEDULE_NAMES,
  installSchedules,
  installSchedulesAs,
  scheduleId,
  scheduleStatuses,
  verificationCheck,
  type ScheduleSettings,
} from '../client/commands/schedules';
import type { RetentionPurgeResult } from '../contracts/retention';
import type { Database } from '../db/client';
import { loadSigner } from '../ledger/keys';
import { loadConfig } from '../runtime/config';
import {
  createTestDatabase,
  type TestDatabase,
  TEST_RETENTION_CONFIG,
  appendEvents,
  useTempDataDir,
  waitForScheduleRun,
  createTemporalTestEnv,
  type TemporalTestEnv,
  waitUntilAged,
  waitFor,
  addPrincipals,
} from './support';
import { createLedger } from '../ledger/ledger';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let db: Database;
let settings: ScheduleSettings;
const prefix = `test-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  useTempDataDir();
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  db = t.connect();
  await temporal.startWorker({ db, ledger: createLedger(db) });
  await addPrincipals(t, ['alice']);
  await syncPolicies(createLedger(db), TEST_RETENTION_CONFIG, { changedBy: 'alice', reason: 'test setup' });
  settings = { taskQueue: temporal.taskQueue, prefix, retentionInput: { batchSize: 50 } };
});
afterAll(async () => {
  for (const n of SCHEDULE_NAMES) {
    await temporal?.client.schedule
      .getHandle(scheduleId(n, prefix))
      .delete()
      .catch(() => undefined);
  }
  await temporal?.close();
  await t?.drop();
});

describe('Temporal Schedules for retention and verification', () => {
  it('install is idempotent (create, then unchanged, then update on a changed definition)', async () => {
    // Installed as alice (on record): the runs these schedules start act for her.
    const first = await installSchedulesAs(
      { client: temporal.client, ledger: createLedger(db) },
      settings,
      'alice',
    );
    expect(first.map((r) => r.outcome)).toEqual(['created', 'created', 'created']);
    const again = await installSchedules(temporal.client, settings);
    expect(again.map((r) => r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const changed = await installSchedules(temporal.client, { ...settings, verificationEvery: '2 hours' });
    expect(changed.map((r) => r.outcome)).toEqual(['unchanged', 'updated', 'unchanged']);
    const back = await installSchedules(temporal.client, settings);
    expect(back.map((r) => r.outcome)).toEqual(['unchanged', 'updated', 'unchanged']);

    const list = [];
    for await (const s of temporal.client.schedule.list())
      if (s.scheduleId.startsWith(`${prefix}-`)) list.push(s.scheduleId);
    expect(list.sort()).toEqual([
      scheduleId('posture', prefix),
      scheduleId('retention', prefix),
      scheduleId('verification', prefix),
    ]);
    const r = await temporal.client.schedule.getHandle(scheduleId('retention', prefix)).describe();
    expect(r.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(r.policies.catchupWindow).toBe(86_400_000);
    expect(r.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 2, end: 2, step: 1 }] });
    const v = await temporal.client.schedule.getHandle(scheduleId('verification', prefix)).describe();
    expect(v.policies.overlap).toBe(ScheduleOverlapPolicy.BUFFER_ONE);
    expect(v.spec.intervals?.[0]?.every).toBe(3_600_000);

    // pause / unpause round trip
    const h = temporal.client.schedule.getHandle(scheduleId('retention', prefix));
    await h.pause('maintenance');
    expect((await h.describe()).state.paused).toBe(true);
    await h.unpause('done');
    expect((await h.describe()).state.paused).toBe(false);
  });

  it('schedules trigger runs the retention purge on the embedded definition', async () => {
    await appendEvents(db, 4, { prefix: 'sched' });
    await waitUntilAged(t, 2_000);
    await temporal.client.schedule.getHandle(scheduleId('retention', prefix)).trigger();
    const run = await waitForScheduleRun(temporal.client, scheduleId('retention', prefix), 1);
    const r = (await run.result()) as RetentionPurgeResult;
    expect(r.purged.ledger_payloads).toBeGreaterThanOrEqual(4);
    expect(r.certificate?.stream).toBe('compliance');
    expect(r.purgeRunId).toMatch(new RegExp(`^${scheduleId('retention', prefix)}-`));
  });

  it('the verification schedule detects a row tampered before the last verified checkpoint and alerts', async () => {
    await appendEvents(db, 20, { prefix: 'chain' });
    await createLedger(db, { signer: loadSigner(loadConfig()) }).checkpoint({ stream: 'default' });
    const vid = scheduleId('verification', prefix);
    const handle = temporal.client.schedule.getHandle(vid);

    await handle.trigger();
    const ok = await waitForScheduleRun(temporal.client, vid, 1);
    const okResult = (await ok.result()) as { ok: boolean };
    expect(okResult.ok).toBe(true);
    const state = await t.asOwner<{ state: Array<{ stream: string; verified_through: number }> }>(
      `SELECT p.payload->'state' AS state FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
        WHERE e.event_type = 'ledger.verification_completed' ORDER BY e.seq DESC LIMIT 1`,
    );
    const verifiedThrough = state.rows[0]!.state.find((s) => s.stream === 'default')!.verified_through;
    expect(verifiedThrough).toBeGreaterThanOrEqual(20);

    // Incremental: the next run verifies only what follows the last verified checkpoint.
    await appendEvents(db, 3, { prefix: 'after' });
    await handle.trigger();
    const inc = await waitForScheduleRun(temporal.client, vid, 2);
    const incResult = (await inc.result()) as {
      ok: boolean;
      streams: Array<{ stream: string; fromSeq: number; eventsChecked: number }>;
    };
    expect(incResult.ok).toBe(true);
    const def = incResult.streams.find((s) => s.stream === 'default')!;
    expect(def.fromSeq).toBe(verifiedThrough + 1);
    expect(def.eventsChecked).toBe(3);

    // Then a superuser edits a row before that checkpoint (triggers off).

    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      await c.query(
        `SET session_replication_role = replica;
         UPDATE ledger_events SET resource_id = 'tampered' WHERE stream = 'default' AND seq = 3;
         SET session_replication_role = origin;`,
      );
    } finally {
      await c.end();
    }

    await handle.trigger();
    const bad = await waitForScheduleRun(temporal.client, vid, 3);
    const err = await bad.result().then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error },
    );
    expect(err?.cause?.message ?? '').toMatch(/ledger verification failed: stream default/);

    const events = await t.asOwner<{ event_type: string; detail: string | null }>(
      `SELECT e.event_type, p.payload->>'detail' AS detail FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
        WHERE e.stream = 'compliance' AND e.event_type IN ('ledger.verification_failed', 'ledger.alert_raised') ORDER BY e.seq`,
    );
    expect(events.rows.map((r) => r.event_type)).toEqual([
      'ledger.verification_failed',
      'ledger.alert_raised',
    ]);
    expect(events.rows[1]!.detail).toMatch(/seq 3/);

    // Visible as a non-zero status in `schedules list` and in `doctor`.
    const statuses = await scheduleStatuses(temporal.client, { prefix, db: t.connect('ledgerflow_reader') });
    const v = statuses.find((s) => s.name === 'verification')!;
    expect(v.status).toBe(1);
    expect(v.lastRun?.status).toBe('FAILED');
    expect(v.detail).toMatch(/ALERT/);
    expect(statuses.find((s) => s.name === 'retention')!.status).toBe(0);
    const doctor = await verificationCheck(t.config, t.ownerUrl);
    expect(doctor[0]).toMatchObject({ check: 'chain verification', ok: false });
  });

  it('backfill and bad schedule input', async () => {
    const h = temporal.client.schedule.getHandle(scheduleId('retention', prefix));
    const before = (await h.describe()).info.numActionsTaken;
    // A window with no daily 02:30 in it: accepted, starts nothing.
    const start = new Date(Date.UTC(2026, 0, 1, 3, 0));
    await h.backfill({
      start,
      end: new Date(start.getTime() + 3600_000),
      overlap: ScheduleOverlapPolicy.SKIP,
    });
    // Then a window with one 02:30: backfills run in order, so once its run was taken, the
    // empty window above is known to have started nothing.
    const withRun = new Date(Date.UTC(2026, 0, 2, 2, 0));
    await h.backfill({
      start: withRun,
      end: new Date(withRun.getTime() + 3600_000),
      overlap: ScheduleOverlapPolicy.SKIP,
    });
    await waitFor(
      async () => (await h.describe()).info.numActionsTaken > before,
      30_000,
      'the backfilled 02:30 run',
    );
    expect((await h.describe()).info.numActionsTaken).toBe(before + 1);
  });
});
