import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SCHEDULE_NAMES,
  installSchedules,
  installSchedulesAs,
  scheduleId,
  type ScheduleName,
} from '../client/commands/schedules';
import {
  alertInvestigationWorkflow,
  assignUpdate,
  investigationStateQuery,
  investigationWorkflowId,
} from '../contracts/alert-investigation';
import {
  archiveClosedRunsWorkflow,
  archiveWorkflowHistoryWorkflow,
  pendingRunsQuery,
  runClosingSignal,
} from '../contracts/history-archiver';
import { batchArchiverWorkflowId } from '../core/loan';
import { onboardingSmokeWorkflow } from '../contracts/onboarding-smoke';
import { postureCheckWorkflow } from '../contracts/posture';
import { retentionPurgeWorkflow } from '../contracts/retention';
import { screeningBatchWorkflow, screeningListUpdateWorkflow } from '../contracts/screening';
import { chainVerificationWorkflow } from '../contracts/verification';
import { startWorkflow, type WorkflowRef } from '../contracts/workflow-ref';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { ingestText } from '../services/monitoring';
import { openInvestigations } from '../services/monitoring/investigations';
import { syncPolicies } from '../services/retention/policies';
import { seedInterimWatchlist } from '../simulators/loan-fixtures';
import {
  TEST_RETENTION_CONFIG,
  createTemporalTestEnv,
  createTestDatabase,
  startAuthorized,
  useTempDataDir,
  waitFor,
  waitForScheduleRun,
  type TemporalTestEnv,
  type TestDatabase,
} from './support';

/**
 * Every workflow family acts for the principal whose start is on record: the CLI/API starter's
 * `workflow.start_authorized` record, or for a run a Temporal Schedule started, the `schedule.installed`
 * record of that schedule. A raw Temporal client start, whatever its input claims, writes nothing.
 */
let t: TestDatabase;
let temporal: TemporalTestEnv;
let db: Database;
const prefix = `idf-${randomBytes(3).toString('hex')}`;
const unrecorded = `idf-raw-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  useTempDataDir();
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  db = t.connect();
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES
       ('comp-1', 'Comp 1', '{compliance}', 'test'), ('op-1', 'Op 1', '{operator}', 'test'),
       ('rita', 'Rita', '{reviewer}', 'test')`,
  );
  await syncPolicies(createLedger(db), TEST_RETENTION_CONFIG, { changedBy: 'comp-1', reason: 'test setup' });
  await seedInterimWatchlist(db);
  await temporal.startWorker({ db, ledger: createLedger(db), purgerDb: t.connect('ledgerflow_purger') });
});
afterAll(async () => {
  for (const p of [prefix, unrecorded])
    for (const n of SCHEDULE_NAMES)
      await temporal?.client.schedule
        .getHandle(scheduleId(n, p))
        .delete()
        .catch(() => undefined);
  await temporal?.close();
  await t?.drop();
});

interface Row {
  stream: string;
  event_type: string;
  actor_id: string;
  initiated_by: string | null;
  requested_by: string | null;
}

/** Every ledger event written in the name of `workflowId` (by its activities or its start record). */
const written = async (workflowId: string) =>
  (
    await t.asOwner<Row>(
      `SELECT e.stream, e.event_type, e.actor_id, e.context->>'initiated_by' AS initiated_by,
              jsonb_path_query_first(p.payload, 'strict $.**.requested_by') #>> '{}' AS requested_by
         FROM ledger_events e LEFT JOIN ledger_payloads p USING (stream, seq)
        WHERE e.context->>'workflow_id' = $1 OR e.case_id = $1 ORDER BY e.stream, e.seq`,
      [workflowId],
    )
  ).rows;

/** Events anywhere that name `principal` as actor or initiator. */
const inTheNameOf = async (principal: string) =>
  (
    await t.asOwner<{ n: string }>(
      `SELECT count(*) AS n FROM ledger_events WHERE actor_id = $1 OR context->>'initiated_by' = $1`,
      [principal],
    )
  ).rows[0]!.n.toString();

/** Events anywhere initiated by `principal`. */
const initiatedBy = async (principal: string) =>
  (
    await t.asOwner<{ n: string }>(
      `SELECT count(*) AS n FROM ledger_events WHERE context->>'initiated_by' = $1`,
      [principal],
    )
  ).rows[0]!.n.toString();

/** The messages of a failure and its causes, joined. */
function failureMessages(err: unknown): string {
  const out: string[] = [];
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    out.push(String(e.message));
  return out.join(' | ');
}

const id = (name: string) => `${name}-${randomBytes(3).toString('hex')}`;

/** Starts through a raw Temporal client (no start record) and expects the run to fail. */
async function rawStartFails<W extends Workflow>(
  ref: WorkflowRef<W>,
  workflowId: string,
  args: Parameters<W>,
): Promise<void> {
  const handle = await startWorkflow(temporal.client, ref, {
    taskQueue: temporal.taskQueue,
    workflowId,
    args,
  } as never);
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(failureMessages(err)).toMatch(
    /has no authorized start on record|other than the|authorized run has closed/,
  );
}

const runAs = <W extends Workflow>(
  principal: string,
  ref: WorkflowRef<W>,
  workflowId: string,
  args: Parameters<W>,
) =>
  startAuthorized(db, principal, temporal.client, ref, {
    taskQueue: temporal.taskQueue,
    workflowId,
    args,
  } as never).then((h) => h.result().catch(() => undefined));

/** The activities' events (not the start record) all act for `principal`. */
function actFor(rows: Row[], principal: string, eventTypes: string[]): void {
  const byActivities = rows.filter((r) => r.stream !== 'access');
  expect(byActivities.map((r) => r.event_type)).toEqual(expect.arrayContaining(eventTypes));
  for (const r of byActivities)
    expect(`${r.event_type} ${r.initiated_by}`).toBe(`${r.event_type} ${principal}`);
}

describe('a raw Temporal client start with a forged principal writes nothing in that name', () => {
  it('retention purge', async () => {
    const wf = id('raw-purge');
    await rawStartFails(retentionPurgeWorkflow, wf, [{ requestedBy: 'comp-1' }]);
    expect(await written(wf)).toEqual([]);
    expect(await initiatedBy('comp-1')).toBe('0');
  });

  it('chain verification', async () => {
    const wf = id('raw-verify');
    await rawStartFails(chainVerificationWorkflow, wf, [{ requestedBy: 'rita' }]);
    expect(await written(wf)).toEqual([]);
  });

  it('posture check', async () => {
    const wf = id('raw-posture');
    await rawStartFails(postureCheckWorkflow, wf, [{ requestedBy: 'rita' }]);
    expect(await written(wf)).toEqual([]);
  });

  it('screening batch', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-idf-'));
    const file = path.join(dir, 'customers.csv');
    writeFileSync(file, 'id,name\nc1,Jane Doe\n');
    const wf = id('raw-batch');
    await rawStartFails(screeningBatchWorkflow, wf, [{ file, chunkSize: 5 }]);
    expect(await written(wf)).toEqual([]);
  });

  it('onboarding smoke', async () => {
    const wf = id('raw-smoke');
    await rawStartFails(onboardingSmokeWorkflow, wf, [{ applicationId: wf, requestedBy: 'rita' }]);
    expect(await written(wf)).toEqual([]);
  });

  it('alert investigation', async () => {
    const alertId = randomUUID();
    const wf = investigationWorkflowId(alertId);
    await rawStartFails(alertInvestigationWorkflow, wf, [
      {
        alertId,
        accountId: 'acc-x',
        typology: 'structuring',
        decision: 'alert',
        openedBy: { type: 'user', id: 'rita' },
      },
    ]);
    expect(await written(wf)).toEqual([]);
    expect(await written(alertId)).toEqual([]);
  });

  it('history archiver (of a run without an authorized start)', async () => {
    const target = id('raw-target');
    await rawStartFails(onboardingSmokeWorkflow, target, [{ applicationId: target, requestedBy: 'rita' }]);
    const closed = await temporal.client.workflow.getHandle(target).describe();
    const wf = id('raw-archive');
    await rawStartFails(archiveWorkflowHistoryWorkflow, wf, [{ workflowId: target, runId: closed.runId }]);
    expect(await written(target)).toEqual([]);
  });

  it('batch history archiver, named a run without an authorized start and a run that does not exist', async () => {
    const target = id('raw-batch-target');
    await rawStartFails(onboardingSmokeWorkflow, target, [{ applicationId: target, requestedBy: 'rita' }]);
    const closed = await temporal.client.workflow.getHandle(target).describe();
    const archiver = await temporal.client.workflow.signalWithStart(archiveClosedRunsWorkflow.name, {
      workflowId: batchArchiverWorkflowId(temporal.taskQueue),
      taskQueue: temporal.taskQueue,
      args: [{ pending: [] }],
      signal: runClosingSignal,
      signalArgs: [{ workflowId: target, runId: closed.runId }],
    });
    const missing = id('no-such-run');
    await archiver.signal(runClosingSignal, { workflowId: missing, runId: randomUUID() });
    await waitFor(async () => (await archiver.query(pendingRunsQuery)) === 0, 60_000, 'both runs refused');
    const batches = (await archiver.fetchHistory()).events?.filter(
      (e) => e.activityTaskCompletedEventAttributes,
    );
    expect(batches?.length).toBeGreaterThan(0);
    expect(await written(target)).toEqual([]);
    expect(await written(missing)).toEqual([]);
    const stored = await t.asOwner(`SELECT 1 FROM workflow_histories WHERE workflow_id = ANY($1)`, [
      [target, missing],
    ]);
    expect(stored.rows).toEqual([]);
  });

  it('a workflow id shaped like a scheduled run of an installed schedule', async () => {
    await installSchedulesAs(
      { client: temporal.client, ledger: createLedger(db) },
      { taskQueue: temporal.taskQueue, prefix },
      'op-1',
    );
    const wf = `${scheduleId('verification', prefix)}-2026-01-01T00:00:00Z`;
    await rawStartFails(chainVerificationWorkflow, wf, [{}]);
    expect(await written(wf)).toEqual([]);
  });

  it('with a start on record, an input naming someone else is refused', async () => {
    const wf = id('claimed-purge');
    const err = await runAsExpectingFailure('comp-1', retentionPurgeWorkflow, wf, [{ requestedBy: 'rita' }]);
    expect(err).toMatch(/other than the one authorized/);
    expect((await written(wf)).filter((r) => r.stream !== 'access')).toEqual([]);
    expect(await inTheNameOf('rita')).toBe('0');
  });
});

async function runAsExpectingFailure<W extends Workflow>(
  principal: string,
  ref: WorkflowRef<W>,
  workflowId: string,
  args: Parameters<W>,
): Promise<string> {
  const handle = await startAuthorized(db, principal, temporal.client, ref, {
    taskQueue: temporal.taskQueue,
    workflowId,
    args,
  } as never);
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return failureMessages(err);
}

describe('an authorized start records the principal on record as the initiator', () => {
  it('a new run started through Temporal under the id of a closed authorized run writes nothing', async () => {
    const wf = id('reuse-smoke');
    const input = { applicationId: wf, requestedBy: 'op-1' };
    await runAs('op-1', onboardingSmokeWorkflow, wf, [input]);
    const before = await written(wf);
    expect(before.filter((r) => r.stream !== 'access')).toHaveLength(2);
    await rawStartFails(onboardingSmokeWorkflow, wf, [input]);
    expect(await written(wf)).toEqual(before);
  });

  it('retention purge: certificate requested by, and events initiated by, the starter', async () => {
    const wf = id('auth-purge');
    await runAs('comp-1', retentionPurgeWorkflow, wf, [{ requestedBy: 'comp-1', batchSize: 10 }]);
    const rows = await written(wf);
    actFor(rows, 'comp-1', ['retention.purge_certificate']);
    expect(rows.find((r) => r.event_type === 'retention.purge_certificate')?.requested_by).toBe('comp-1');
  });

  it('chain verification and posture check: requested by the starter', async () => {
    const verify = id('auth-verify');
    await runAs('op-1', chainVerificationWorkflow, verify, [{}]);
    const v = await written(verify);
    actFor(v, 'op-1', ['ledger.verification_completed']);
    expect(v.find((r) => r.event_type === 'ledger.verification_completed')?.requested_by).toBe('op-1');

    const posture = id('auth-posture');
    await runAs('comp-1', postureCheckWorkflow, posture, [{}]);
    const p = await written(posture);
    actFor(p, 'comp-1', ['compliance.posture_reported']);
    expect(p.find((r) => r.event_type === 'compliance.posture_reported')?.requested_by).toBe('comp-1');
  });

  it('screening list update, screening batch and onboarding smoke', async () => {
    const update = id('auth-list');
    await runAs('op-1', screeningListUpdateWorkflow, update, [
      { source: 'un', path: path.join(__dirname, 'fixtures', 'sanctions', 'un-consolidated') },
    ]);
    actFor(await written(update), 'op-1', ['screening.list_version_loaded']);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-idf-'));
    const file = path.join(dir, 'customers.csv');
    writeFileSync(file, 'id,name\nc1,Jane Doe\nc2,John Roe\n');
    const batch = id('auth-batch');
    await runAs('op-1', screeningBatchWorkflow, batch, [{ file, chunkSize: 5 }]);
    expect((await written(batch)).filter((r) => r.stream !== 'access').length).toBeGreaterThan(0);
    actFor(await written(batch), 'op-1', []);

    const smoke = id('auth-smoke');
    await runAs('op-1', onboardingSmokeWorkflow, smoke, [{ applicationId: smoke, requestedBy: 'op-1' }]);
    actFor(await written(smoke), 'op-1', ['onboarding.application_received', 'onboarding.check_completed']);
  });

  it('alert investigation opened by the feed service acts for it', async () => {
    const cash = (n: number) =>
      JSON.stringify({
        transaction_id: `idf-tx-${n}`,
        occurred_at: `2026-03-02T0${n}:00:00Z`,
        account_id: 'idf-acc',
        counterparty_id: 'branch',
        amount: '9000.00',
        currency: 'EUR',
        direction: 'credit',
        channel: 'cash',
        country: 'FR',
      });
    const s = await ingestText(
      { db, ledger: createLedger(db) },
      { actor: { type: 'service', id: 'test-feed' } },
      [1, 2, 3].map(cash).join('\n'),
    );
    const alertId = s.alert_ids[0]!;
    const deps = { client: temporal.client, taskQueue: temporal.taskQueue, db };
    expect(await openInvestigations(deps, [alertId], { type: 'service', id: 'monitoring-feed' })).toBe(1);
    await waitFor(
      async () => (await written(alertId)).some((r) => r.event_type === 'monitoring.investigation_opened'),
      30_000,
      'the opened step',
    );
    const opened = (await written(alertId)).find((r) => r.event_type === 'monitoring.investigation_opened');
    expect([opened?.actor_id, opened?.initiated_by]).toEqual(['monitoring-feed', 'monitoring-feed']);

    // An assignment Update sent straight through Temporal, naming a principal allowed to assign.
    const handle = temporal.client.workflow.getHandle(investigationWorkflowId(alertId));
    const err = await handle.executeUpdate(assignUpdate, { args: [{ by: 'comp-1', analyst: 'rita' }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failureMessages(err)).toMatch(/not on record as sent by the principal it names/);
    expect((await written(alertId)).map((r) => r.event_type)).toEqual(['monitoring.investigation_opened']);
    // The refused assignment changed nothing: the investigation is still open, unassigned.
    const state = await handle.query(investigationStateQuery);
    expect([state.status, state.analyst, state.steps.map((x) => x.step)]).toEqual([
      'open',
      undefined,
      ['opened'],
    ]);
    await handle.terminate('test done');
  });
});

describe('a schedule-triggered run acts for the principal who installed the schedule', () => {
  const triggered = async (client: Client, p: string, name: ScheduleName) => {
    const sid = scheduleId(name, p);
    await client.schedule.getHandle(sid).trigger();
    const run = await waitForScheduleRun(client, sid, 1);
    await client.workflow
      .getHandle(run.workflowId)
      .result()
      .catch(() => undefined);
    return run.workflowId;
  };

  it('retention, verification and posture runs record the installer (op-1)', async () => {
    await installSchedulesAs(
      { client: temporal.client, ledger: createLedger(db) },
      { taskQueue: temporal.taskQueue, prefix },
      'op-1',
    );
    const purge = await written(await triggered(temporal.client, prefix, 'retention'));
    actFor(purge, 'op-1', ['retention.purge_certificate']);
    expect(purge.find((r) => r.event_type === 'retention.purge_certificate')?.requested_by).toBe('op-1');
    actFor(await written(await triggered(temporal.client, prefix, 'verification')), 'op-1', [
      'ledger.verification_completed',
    ]);
    actFor(await written(await triggered(temporal.client, prefix, 'posture')), 'op-1', [
      'compliance.posture_reported',
    ]);
  });

  it('a schedule installed with no record starts runs that write nothing', async () => {
    await installSchedules(temporal.client, { taskQueue: temporal.taskQueue, prefix: unrecorded });
    const wf = await triggered(temporal.client, unrecorded, 'verification');
    expect(await written(wf)).toEqual([]);
    const d = await temporal.client.workflow.getHandle(wf).describe();
    expect(d.status.name).toBe('FAILED');
  });
});
