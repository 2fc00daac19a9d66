import { condition, currentUpdateInfo, proxyActivities, setHandler } from '@temporalio/workflow';
import type { z } from 'zod';
import type { Activities } from '../activities';
import {
  DEFAULT_PROVIDER_RETRY,
  DEFAULT_REVIEW_SLA,
  FINAL_STATUSES,
  LOAN_NON_RETRYABLE_FAILURES,
  ReviewDecisionSchema,
  loanStateQuery,
  submitReviewUpdate,
  type LoanResult,
  type LoanState,
  type LoanStatus,
  type LoanWorkflowInputSchema,
  type ReviewDecision,
} from '../contracts/loan-origination';
import { CURRENT_RULESET_VERSION } from '../core/loan-rules';
import { describeZodError } from '../core/zod-issues';

/** Ledger writes and PostgreSQL reads: quick, retried until they succeed. */
const records = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
});

/** A reviewer's decision as the workflow keeps it, with the id of the Update that brought it. */
export type Review = ReviewDecision & { at: string; updateId?: string };

/**
 * The bookkeeping of one loan application run: its queryable state, the review Update handler,
 * the activities it schedules and the settings pinned at start. loanOrigination keeps the
 * procedure; everything else lives here.
 */
export interface LoanRun {
  input: z.output<typeof LoanWorkflowInputSchema>;
  ruleSetVersion: string;
  sla: { escalateAfterMs: number; autoDeclineAfterMs: number };
  state: LoanState;
  /** Ledger and PostgreSQL activities. */
  records: typeof records;
  /** Provider activities, with the run's retry policy. */
  providers: typeof records;
  /** Moves the application to `status` and stamps the step. */
  enter(status: LoanStatus): void;
  /** The accepted review, once a reviewer decided. */
  review(): Review | undefined;
  /** Refuses reviews from now on (the SLA has run out). */
  closeReviewWindow(): void;
  result(): LoanResult;
}

/** Sets up the run's state, query and Update handler. Call once, first thing in the workflow. */
export function startLoanRun(input: LoanRun['input']): LoanRun {
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
  let review: Review | undefined;
  /** Set once the SLA has run out: a late review must be refused, not silently ignored. */
  let reviewWindowClosed = false;
  const now = () => new Date().toISOString();

  setHandler(loanStateQuery, () => state);
  setHandler(
    submitReviewUpdate,
    async (decision) => {
      review = { ...decision, reason: decision.reason.trim(), at: now(), updateId: currentUpdateInfo()?.id };
      state.review = review;
      await condition(() => FINAL_STATUSES.has(state.status));
      return state;
    },
    {
      validator: (decision) => {
        const parsed = ReviewDecisionSchema.safeParse(decision);
        if (!parsed.success) {
          throw new Error(`invalid review: ${describeZodError(parsed.error)}`);
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

  return {
    input,
    ruleSetVersion: input.ruleSetVersion ?? CURRENT_RULESET_VERSION,
    sla: input.reviewSla ?? DEFAULT_REVIEW_SLA,
    state,
    records,
    providers,
    enter(status) {
      state.status = status;
      state.steps.push({ step: status, at: now() });
    },
    review: () => review,
    closeReviewWindow() {
      reviewWindowClosed = true;
    },
    result: () => ({
      applicationId: state.applicationId,
      status: state.status,
      decision: state.decision,
      compensations: state.compensations,
    }),
  };
}
