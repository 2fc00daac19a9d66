import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onboardingSmokeWorkflow } from '../contracts/onboarding-smoke';
import { executeWorkflow } from '../contracts/workflow-ref';
import { createLedger } from '../ledger/ledger';
import {
  createTestDatabase,
  type TestDatabase,
  createTemporalTestEnv,
  type TemporalTestEnv,
  startAuthorized,
} from './support';

let t: TestDatabase;
let temporal: TemporalTestEnv;

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
});
afterAll(async () => {
  await temporal?.close();
  await t?.drop();
});

const eventsOf = async (caseId: string) =>
  (
    await t.asOwner<{
      event_type: string;
      workflow_id: string;
      run_id: string;
      activity_id: string;
      attempt: number;
    }>(
      `SELECT event_type, context->>'workflow_id' AS workflow_id, context->>'run_id' AS run_id,
              context->>'activity_id' AS activity_id, (context->>'attempt')::int AS attempt
         FROM ledger_events WHERE case_id = $1 ORDER BY seq`,
      [caseId],
    )
  ).rows;

describe('onboardingSmoke on real Temporal + PostgreSQL', () => {
  it('runs two activities that write audit events cross-linked to the workflow run', async () => {
    const { stop } = await temporal.startWorker({ db: t.connect(), ledger: createLedger(t.connect()) });
    try {
      const handle = await startAuthorized(t.connect(), 'tester', temporal.client, onboardingSmokeWorkflow, {
        taskQueue: temporal.taskQueue,
        workflowId: 'smoke-app-1',
        args: [{ applicationId: 'app-1', requestedBy: 'tester' }],
      });
      const result = await handle.result();
      expect(result.events.map((e) => e.step)).toEqual(['application-received', 'onboarding-checked']);
      const events = await eventsOf('app-1');
      expect(events.map((e) => e.event_type)).toEqual([
        'onboarding.application_received',
        'onboarding.check_completed',
      ]);
      for (const e of events) {
        expect(e.workflow_id).toBe('smoke-app-1');
        expect(e.run_id).toBe(handle.firstExecutionRunId);
        expect(e.activity_id).toBeTruthy();
      }
    } finally {
      await stop();
    }
  });

  it('fails invalid input at once with a clear, non-retryable error', async () => {
    const { stop } = await temporal.startWorker({ db: t.connect(), ledger: createLedger(t.connect()) });
    try {
      const run = executeWorkflow(temporal.client, onboardingSmokeWorkflow, {
        taskQueue: temporal.taskQueue,
        workflowId: 'smoke-bad',
        args: [{ applicationId: 'x', requestedBy: '' }],
      });
      const err = await run.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/applicationId/);
    } finally {
      await stop();
    }
  });

  it('survives kill -9 of the worker after the ledger write: retried activity, no duplicate event', async () => {
    // The production worker process, with the hold-after-write hook passed in by the test entrypoint.
    const spawnWorker = (hold: number): ChildProcess =>
      spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(__dirname, 'support', 'crash-worker.ts'),
          JSON.stringify({ holdAfterWriteMs: hold }),
        ],
        {
          env: {
            ...process.env,
            DATABASE_URL: t.ownerUrl,
            TEMPORAL_ADDRESS: temporal.address,
            TEMPORAL_TASK_QUEUE: temporal.taskQueue,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
    const first = spawnWorker(60_000);
    const exited = new Promise((r) => first.once('exit', r));
    const handle = await startAuthorized(t.connect(), 'tester', temporal.client, onboardingSmokeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'smoke-crash',
      args: [{ applicationId: 'app-crash', requestedBy: 'tester' }],
    });
    // Wait until the first activity has written its event (it then holds, heartbeating).
    for (let i = 0; i < 300 && (await eventsOf('app-crash')).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(await eventsOf('app-crash')).toHaveLength(1);
    first.kill('SIGKILL');
    await exited;

    const second = spawnWorker(0);
    try {
      const result = await handle.result();
      expect(result.events).toHaveLength(2);
      const events = await eventsOf('app-crash');
      expect(events.map((e) => e.event_type)).toEqual([
        'onboarding.application_received',
        'onboarding.check_completed',
      ]);
      const history = await handle.fetchHistory();
      const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
      expect(started.some((e) => Number(e.activityTaskStartedEventAttributes?.attempt) >= 2)).toBe(true);
    } finally {
      second.kill('SIGKILL');
    }
  }, 90_000);
});
