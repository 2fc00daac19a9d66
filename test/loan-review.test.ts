import { WorkflowUpdateFailedError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../client/history';
import { getLoanStatus, reviewLoan } from '../services/loans/applications';
import { useLoanTestEnv, FAST, sampleApplication } from './support';

const env = useLoanTestEnv();

const waitForStatus = async (id: string, status: string) => {
  for (let i = 0; i < 100; i++) {
    const s = await getLoanStatus({ db: env.db, client: env.client }, id);
    if (s.state?.status === status) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${id} never reached ${status}`);
};

describe('manual review', () => {
  it('a sanctions hit goes to review; the update validator rejects bad reviewers; a reviewer approves', async () => {
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-review', { registrationNumber: 'SANC-0042' }), {
        ...FAST,
        reviewSla: { escalateAfterMs: 60_000, autoDeclineAfterMs: 120_000 },
      });
      const s = await waitForStatus('app-review', 'awaiting_review');
      expect(s.state?.rules?.decidingRuleId).toBe('R-SANCTIONS-HIT');
      expect(s.state?.screening?.hits[0]).toMatchObject({ partyRole: 'officer', entryId: 'WL-0001' });
      expect(s.state?.eligibleReviewers).toEqual(['rev-1', 'rev-2']);

      // history show works on a running workflow too: live history joined with the ledger so far.
      const live = await buildTimeline({ db: env.db, client: env.client }, 'app-review');
      expect(live.origin).toBe('temporal');
      expect(live.archived).toBeUndefined();
      expect(live.entries.filter((e) => e.source === 'ledger').map((e) => e.type)).toContain(
        'loan.review_requested',
      );

      const deps = { db: env.db, client: env.client };
      await expect(reviewLoan(deps, 'app-review', 'nobody', 'approve', 'looks fine')).rejects.toThrow(
        /unknown principal "nobody"/,
      );
      await expect(reviewLoan(deps, 'app-review', 'op-1', 'approve', 'looks fine')).rejects.toThrow(
        /lacks the "reviewer" role/,
      );
      // The workflow's own validator: a reviewer id that is not eligible, and a missing reason.
      const handle = env.client.workflow.getHandle('app-review');
      const refused = await handle
        .executeUpdate('submitReview', {
          args: [{ reviewerId: 'mallory', decision: 'approve', reason: 'trust me' }],
        })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect((refused as WorkflowUpdateFailedError).cause?.message).toMatch(
        /"mallory" is not an eligible reviewer for app-review/,
      );
      await expect(reviewLoan(deps, 'app-review', 'rev-1', 'approve', '')).rejects.toThrow(
        /review refused: invalid review: reason/,
      );

      const state = await reviewLoan(
        deps,
        'app-review',
        'rev-1',
        'approve',
        'officer is a namesake: different birth date',
      );
      expect(state.status).toBe('approved');
      expect(state.decision).toMatchObject({
        outcome: 'approved',
        decidedBy: { type: 'reviewer', id: 'rev-1' },
      });
      expect((await sub.handle.result()).status).toBe('approved');

      const history = await sub.handle.fetchHistory();
      const rejected = history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes) ?? [];
      expect(rejected).toHaveLength(1); // only the valid update entered the history
      const types = (await env.events('app-review'))
        .filter((e) => e.stream === 'loan')
        .map((e) => e.event_type);
      expect(types.slice(-4)).toEqual([
        'loan.rules_evaluated',
        'loan.review_requested',
        'loan.review_decided',
        'loan.decision_made',
      ]);

      await expect(reviewLoan(deps, 'app-review', 'rev-2', 'decline', 'changed my mind')).rejects.toThrow(
        /application app-review is already decided \(approved, by reviewer:rev-1\)/,
      );
    } finally {
      await stop();
    }
  });

  it('nobody reviews: the SLA escalates, then auto-declines', async () => {
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-sla', { nationalId: 'MID-7781' }), {
        ...FAST,
        reviewSla: { escalateAfterMs: 1_000, autoDeclineAfterMs: 2_500 },
      });
      const result = await sub.handle.result();
      expect(result.status).toBe('declined');
      expect(result.decision).toMatchObject({ decidedBy: { type: 'sla' }, ruleId: 'R-BORDERLINE-SCORE' });
      const types = (await env.events('app-sla')).filter((e) => e.stream === 'loan').map((e) => e.event_type);
      expect(types.slice(-4)).toEqual([
        'loan.rules_evaluated',
        'loan.review_requested',
        'loan.review_escalated',
        'loan.decision_made',
      ]);
      const status = await getLoanStatus({ db: env.db, client: env.client }, 'app-sla');
      expect(status.state?.steps.map((s) => s.step)).toContain('escalated');
      expect(status.decidedBy).toBe('sla:review-sla');
    } finally {
      await stop();
    }
  });
});
