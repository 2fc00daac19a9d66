import {
  ApplicationFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  DEFAULT_PROVIDER_RETRY,
  DEFAULT_REVIEW_SLA,
  FINAL_STATUSES,
  LOAN_NON_RETRYABLE_FAILURES,
  LoanFailure,
  LoanWorkflowInputSchema,
  ReviewDecisionSchema,
  loanStateQuery,
  submitReviewUpdate,
  type FinalDecision,
  type LoanResult,
  type LoanState,
  type LoanStatus,
  type LoanWorkflowInput,
  type LoanOriginationWorkflow,
  type ReviewDecision,
} from '../contracts/loan-origination';
import { archiverWorkflowId } from '../core/loan';
import { CURRENT_RULESET_VERSION, evaluateRules, ruleSetFor, type RuleEvaluation } from '../core/loan-rules';
import { archiveWorkflowHistory } from './history-archiver';
import { validateInput } from './validate-input';

/** Ledger writes and PostgreSQL reads: quick, retried until they succeed. */
const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/**
 * Loan origination: validate → enrich (registry and credit bureau in parallel) → screen the
 * applicant and the company officers → versioned decision rules → manual review with an SLA
 * (Update `submitReview`, escalation, auto-decline) → final decision event. A failure after
 * the credit inquiry was opened runs the compensations in reverse order. Personal data never
 * enters this history: activities read it from PostgreSQL by application id.
 */
export async function loanOrigination(rawInput: LoanWorkflowInput): Promise<LoanResult> {
  const input = validateInput(LoanWorkflowInputSchema, rawInput);
  const ruleSetVersion = input.ruleSetVersion ?? CURRENT_RULESET_VERSION;
  const sla = input.reviewSla ?? DEFAULT_REVIEW_SLA;
  const retry = { ...DEFAULT_PROVIDER_RETRY, ...input.providerRetry };
  const providers = proxyActivities<Activities>({
    startToCloseTimeout: '60 seconds',
    heartbeatTimeout: '3 seconds',
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
      maximumAttempts: retry.maximumAttempts,
      nonRetryableErrorTypes: LOAN_NON_RETRYABLE_FAILURES,
    },
  });

  const state: LoanState = {
    applicationId: input.applicationId,
    status: 'received',
    steps: [],
    compensations: [],
  };
  let review: (ReviewDecision & { at: string }) | undefined;
  /** Set once the SLA has run out: a late review must be refused, not silently ignored. */
  let reviewWindowClosed = false;
  const now = () => new Date().toISOString();
  const enter = (status: LoanStatus) => {
    state.status = status;
    state.steps.push({ step: status, at: now() });
  };

  setHandler(loanStateQuery, () => state);
  setHandler(
    submitReviewUpdate,
    async (decision) => {
      review = { ...decision, reason: decision.reason.trim(), at: now() };
      state.review = review;
      await condition(() => FINAL_STATUSES.has(state.status));
      return state;
    },
    {
      validator: (decision) => {
        const parsed = ReviewDecisionSchema.safeParse(decision);
        if (!parsed.success) {
          throw new Error(
            `invalid review: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        }
        if (reviewWindowClosed || (state.status !== 'awaiting_review' && state.status !== 'escalated')) {
          throw new Error(
            `application ${input.applicationId} is not awaiting review (status: ${state.status})`,
          );
        }
        if (review)
          throw new Error(`application ${input.applicationId} was already reviewed by ${review.reviewerId}`);
        if (!state.eligibleReviewers?.includes(parsed.data.reviewerId)) {
          throw new Error(
            `"${parsed.data.reviewerId}" is not an eligible reviewer for ${input.applicationId}`,
          );
        }
      },
    },
  );

  const compensations: Array<{ action: string; run: () => Promise<void> }> = [];
  enter('received');
  try {
    await records.recordLoanReceived({
      applicationId: input.applicationId,
      requestedBy: input.requestedBy,
      amount: input.amount,
      currency: input.currency,
      termMonths: input.termMonths,
      ruleSetVersion,
    });

    enter('enriching');
    const [registry, credit] = await Promise.allSettled([
      providers.fetchCompanyRegistry({
        applicationId: input.applicationId,
        companyRegistrationNumber: input.companyRegistrationNumber,
      }),
      providers.openCreditInquiry({ applicationId: input.applicationId, amount: input.amount }),
    ]);
    if (credit.status === 'fulfilled') {
      state.credit = credit.value;
      const inquiryId = credit.value.inquiryId;
      compensations.push({
        action: `cancel credit inquiry ${inquiryId}`,
        run: () =>
          providers.cancelCreditInquiry({
            applicationId: input.applicationId,
            inquiryId,
            reason: 'origination failed',
          }),
      });
    }
    if (registry.status === 'fulfilled') state.registry = registry.value;
    if (registry.status === 'rejected') throw registry.reason;
    if (credit.status === 'rejected') throw credit.reason;
    const reg = registry.value;
    const cred = credit.value;

    enter('screening');
    state.screening = await records.screenParties({ applicationId: input.applicationId });

    enter('deciding');
    const evaluation: RuleEvaluation = evaluateRules(ruleSetFor(ruleSetVersion), {
      creditScore: cred.creditScore,
      activeDefaults: cred.activeDefaults,
      companyActive: reg.companyActive,
      companyAgeYears: reg.companyAgeYears,
      amountToRevenue:
        reg.annualRevenue > 0 ? Math.round((input.amount / reg.annualRevenue) * 1000) / 1000 : 999,
      screeningHits: state.screening.hits.length,
    });
    state.rules = evaluation;
    await records.recordRulesEvaluated({ applicationId: input.applicationId, evaluation });

    let decision: FinalDecision;
    if (evaluation.outcome !== 'review') {
      decision = {
        outcome: evaluation.outcome === 'approve' ? 'approved' : 'declined',
        decidedBy: { type: 'rules', id: `${evaluation.ruleSetId}@${evaluation.ruleSetVersion}` },
        ruleId: evaluation.decidingRuleId,
        ruleSetVersion,
        reason: evaluation.reason,
      };
    } else {
      decision = await manualReview(evaluation);
    }
    state.decision = decision;
    await records.recordFinalDecision({ applicationId: input.applicationId, decision });
    enter(decision.outcome);
  } catch (err) {
    const message =
      err instanceof Error
        ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
        : String(err);
    state.error = message;
    for (const c of compensations.reverse()) {
      try {
        await c.run();
        state.compensations.push({ action: c.action, outcome: 'done' });
      } catch (cerr) {
        state.compensations.push({
          action: c.action,
          outcome: 'failed',
          detail: String((cerr as Error).message),
        });
      }
    }
    await records.recordLoanFailed({
      applicationId: input.applicationId,
      error: message,
      compensations: state.compensations,
    });
    enter('failed');
    await archiveAfterClose(input.archiveHistory);
    throw ApplicationFailure.create({ type: LoanFailure.LoanOriginationFailed, message, nonRetryable: true });
  }
  await condition(allHandlersFinished);
  await archiveAfterClose(input.archiveHistory);
  return {
    applicationId: state.applicationId,
    status: state.status,
    decision: state.decision,
    compensations: state.compensations,
  };

  async function manualReview(evaluation: RuleEvaluation): Promise<FinalDecision> {
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
    enter('awaiting_review');
    let decided = await condition(() => review !== undefined, sla.escalateAfterMs);
    if (!decided) {
      enter('escalated');
      state.escalatedAt = now();
      await records.recordReviewEscalated({ applicationId: input.applicationId, dueAt });
      decided = await condition(() => review !== undefined, sla.autoDeclineAfterMs - sla.escalateAfterMs);
    }
    reviewWindowClosed = !decided;
    if (decided && review) {
      await records.recordReviewDecision({ applicationId: input.applicationId, review });
      return {
        outcome: review.decision === 'approve' ? 'approved' : 'declined',
        decidedBy: { type: 'reviewer', id: review.reviewerId },
        ruleId: evaluation.decidingRuleId,
        ruleSetVersion,
        reason: review.reason,
      };
    }
    return {
      outcome: 'declined',
      decidedBy: { type: 'sla', id: 'review-sla' },
      ruleId: evaluation.decidingRuleId,
      ruleSetVersion,
      reason: `no reviewer decided within ${Math.round(sla.autoDeclineAfterMs / 1000)} s: auto-declined`,
    };
  }
}

loanOrigination satisfies LoanOriginationWorkflow;

/**
 * Starts the history archiver as an abandoned child: it outlives this run, waits until the run
 * has closed and archives its history (with the close event) and seals its digest.
 */
async function archiveAfterClose(enabled: boolean): Promise<void> {
  if (!enabled) return;
  const { workflowId, runId } = workflowInfo();
  await startChild(archiveWorkflowHistory, {
    workflowId: archiverWorkflowId(workflowId, runId),
    args: [{ workflowId, runId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}
