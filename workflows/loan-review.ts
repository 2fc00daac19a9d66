import { condition } from '@temporalio/workflow';
import type { FinalDecision } from '../contracts/loan-origination';
import type { RuleEvaluation } from '../core/loan-rules';
import type { LoanRun } from './loan-run';

/**
 * Manual review with an SLA: asks the eligible reviewers, escalates after `escalateAfterMs`,
 * declines on its own after `autoDeclineAfterMs` when nobody decided.
 */
export async function manualReview(run: LoanRun, evaluation: RuleEvaluation): Promise<FinalDecision> {
  const { input, sla, state, records, ruleSetVersion } = run;
  const start = new Date().getTime();
  const escalateAt = new Date(start + sla.escalateAfterMs).toISOString();
  const dueAt = new Date(start + sla.autoDeclineAfterMs).toISOString();
  state.eligibleReviewers = await records.requestReview({
    applicationId: input.applicationId,
    requestedBy: input.requestedBy,
    ruleId: evaluation.decidingRuleId,
    dueAt,
    escalateAt,
  });
  state.reviewDueAt = dueAt;
  run.enter('awaiting_review');
  let decided = await condition(() => run.review() !== undefined, sla.escalateAfterMs);
  if (!decided) {
    run.enter('escalated');
    state.escalatedAt = new Date().toISOString();
    await records.recordReviewEscalated({ applicationId: input.applicationId, dueAt });
    decided = await condition(() => run.review() !== undefined, sla.autoDeclineAfterMs - sla.escalateAfterMs);
  }
  const review = run.review();
  if (!decided || !review) {
    run.closeReviewWindow();
    return {
      outcome: 'declined',
      decidedBy: { type: 'sla', id: 'review-sla' },
      ruleId: evaluation.decidingRuleId,
      ruleSetVersion,
      reason: `no reviewer decided within ${Math.round(sla.autoDeclineAfterMs / 1000)} s: auto-declined`,
    };
  }
  await records.recordReviewDecision({ applicationId: input.applicationId, review });
  return {
    outcome: review.decision === 'approve' ? 'approved' : 'declined',
    decidedBy: { type: 'reviewer', id: review.reviewerId },
    ruleId: evaluation.decidingRuleId,
    ruleSetVersion,
    reason: review.reason,
  };
}
