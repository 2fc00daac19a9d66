import { WorkflowFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loanOriginationWorkflow, submitReviewUpdate } from '../contracts/loan-origination';
import { startWorkflow } from '../contracts/workflow-ref';
import { createLedger } from '../ledger/ledger';
import { recordWorkflowStart } from '../services/principals/workflow-starts';
import { getLoanStatus, reviewLoan } from '../services/loans/applications';
import { useLoanTestEnv, sampleApplication, waitFor } from './support';
import { FAST } from './support/loan-env';

/**
 * Activities' actors: every event a workflow's activities write names the workflow (actor, by
 * id; run id in the context) and the principal whose start was authorized and recorded
 * (`context.initiated_by`). A workflow started through a raw Temporal client, or with an input
 * naming someone other than the recorded starter, writes nothing.
 */
const env = useLoanTestEnv();

interface Row {
  stream: string;
  event_type: string;
  actor_type: string;
  actor_id: string;
  initiated_by: string | null;
  run_id: string | null;
}

const written = async (workflowId: string) =>
  (
    await env.t.asOwner<Row>(
      `SELECT stream, event_type, actor_type, actor_id, context->>'initiated_by' AS initiated_by,
              context->>'run_id' AS run_id
         FROM ledger_events WHERE context->>'workflow_id' = $1 ORDER BY stream, seq`,
      [workflowId],
    )
  ).rows;

/** The loan workflow's input for `id`, as a raw Temporal client would send it. */
const rawInput = (id: string, requestedBy: string) => {
  const file = sampleApplication(id);
  return {
    applicationId: id,
    requestedBy,
    companyRegistrationNumber: file.company.registrationNumber,
    amount: file.loan.amount,
    currency: file.loan.currency,
    termMonths: file.loan.termMonths,
    ...FAST,
  };
};

describe('activities act for the principal whose start is on record', () => {
  it('a loan started by op-1 records op-1 as the initiator of every event its activities write', async () => {
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-who'));
      expect((await sub.handle.result()).status).toBe('approved');
      const rows = await written('app-who');
      const start = rows.filter((r) => r.stream === 'access');
      expect(start.map((r) => [r.event_type, r.actor_type, r.actor_id])).toEqual([
        ['workflow.start_authorized', 'user', 'op-1'],
      ]);
      const byActivities = rows.filter((r) => r.stream !== 'access');
      expect(byActivities.map((r) => r.event_type)).toEqual(
        expect.arrayContaining([
          'loan.application_received',
          'loan.decision_made',
          'provider.call_attempted',
        ]),
      );
      for (const r of byActivities) {
        expect(`${r.event_type} ${r.initiated_by} ${r.run_id}`).toBe(`${r.event_type} op-1 ${sub.runId}`);
        if (r.stream === 'loan') expect([r.actor_type, r.actor_id]).toEqual(['workflow', 'app-who']);
      }
    } finally {
      await stop();
    }
  });

  it('a workflow started through a raw Temporal client, with no authorized start, writes nothing', async () => {
    const { stop } = await env.startWorker();
    try {
      const handle = await startWorkflow(env.client, loanOriginationWorkflow, {
        taskQueue: env.temporal.taskQueue,
        workflowId: 'app-forged',
        args: [rawInput('app-forged', 'op-1')],
      });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(await written('app-forged')).toEqual([]);
    } finally {
      await stop();
    }
  });

  it('an input naming a principal other than the recorded starter is never recorded as acting', async () => {
    await env.t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('op-2', 'Op 2', '{operator}', 'test')`,
    );
    await recordWorkflowStart(createLedger(env.db), {
      principalId: 'op-2',
      action: 'loan.start',
      workflowId: 'app-claimed',
      workflowType: loanOriginationWorkflow.name,
    });
    const { stop } = await env.startWorker();
    try {
      const handle = await startWorkflow(env.client, loanOriginationWorkflow, {
        taskQueue: env.temporal.taskQueue,
        workflowId: 'app-claimed',
        args: [rawInput('app-claimed', 'op-1')],
      });
      await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      const rows = await written('app-claimed');
      // Nothing names op-1; the application was never received; the failure is on record for op-2.
      expect(rows.filter((r) => r.actor_id === 'op-1' || r.initiated_by === 'op-1')).toEqual([]);
      expect(rows.map((r) => r.event_type)).not.toContain('loan.application_received');
      expect(
        rows.filter((r) => r.stream === 'loan').map((r) => [r.event_type, r.actor_id, r.initiated_by]),
      ).toEqual([['loan.origination_failed', 'app-claimed', 'op-2']]);
    } finally {
      await stop();
    }
  });

  it('a review Update sent straight through Temporal, naming an eligible reviewer, records no decision in her name', async () => {
    const { stop } = await env.startWorker();
    const reviewSla = { escalateAfterMs: 60_000, autoDeclineAfterMs: 120_000 };
    const awaitingReview = (id: string) =>
      waitFor(
        async () =>
          (await getLoanStatus({ db: env.db, client: env.client }, id)).state?.status === 'awaiting_review',
        30_000,
        `${id} awaiting review`,
      );
    const decisions = async (id: string) =>
      (
        await env.t.asOwner<{ event_type: string; actor_id: string }>(
          `SELECT event_type, actor_id FROM ledger_events
            WHERE case_id = $1 AND event_type IN ('loan.review_decided', 'loan.decision_made') ORDER BY seq`,
          [id],
        )
      ).rows;
    try {
      const forged = await env.submit(sampleApplication('app-upd-raw', { registrationNumber: 'SANC-0042' }), {
        ...FAST,
        reviewSla,
      });
      await awaitingReview('app-upd-raw');
      await forged.handle
        .executeUpdate(submitReviewUpdate, {
          args: [{ reviewerId: 'rev-1', decision: 'decline', reason: 'forged' }],
        })
        .catch(() => undefined);
      await expect(forged.handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(await decisions('app-upd-raw')).toEqual([]);

      // Through reviewLoan (authorized, recorded), the same reviewer's decision is written.
      await env.submit(sampleApplication('app-upd-ok', { registrationNumber: 'SANC-0042' }), {
        ...FAST,
        reviewSla,
      });
      await awaitingReview('app-upd-ok');
      await reviewLoan(
        { db: env.db, client: env.client },
        'app-upd-ok',
        'rev-1',
        'approve',
        'checked the hit',
      );
      expect(await decisions('app-upd-ok')).toEqual([
        { event_type: 'loan.review_decided', actor_id: 'rev-1' },
        { event_type: 'loan.decision_made', actor_id: 'rev-1' },
      ]);
    } finally {
      await stop();
    }
  });
});
