import { Context } from '@temporalio/activity';
import { arrayContains, eq, sql } from 'drizzle-orm';
import type { AuditEventInput } from '../core/audit-event';
import type { JsonObject } from '../core/json-value';
import { LOAN_STREAM, type FinalDecision, type LoanStatus, type ReviewDecision } from '../core/loan';
import type { RuleEvaluation } from '../core/loan-rules';
import type { Database } from '../db/client';
import { loanApplications, principals } from '../db/schema';
import type { Ledger } from '../ledger/ledger';
import { activityAuditContext, businessEventKey } from './audit-context';

/** Business events of the loan workflow (one per step, keyed by workflow id + run id + step). */
export function createLoanRecordActivities({ db, ledger }: { db: Database; ledger: Ledger }) {
  const workflowActor = () => ({
    type: 'workflow' as const,
    id: Context.current().info.workflowType ?? 'loanOrigination',
  });

  async function record(
    step: string,
    applicationId: string,
    e: Pick<AuditEventInput, 'event_type' | 'action' | 'outcome'> & {
      actor?: AuditEventInput['actor'];
      payload: JsonObject;
    },
  ) {
    const r = await ledger.append(
      {
        event_type: e.event_type,
        actor: e.actor ?? workflowActor(),
        resource: { type: 'loan_application', id: applicationId },
        action: e.action,
        outcome: e.outcome,
        case_id: applicationId,
        context: activityAuditContext(step),
        payload: e.payload,
      },
      { stream: LOAN_STREAM, idempotencyKey: businessEventKey(step) },
    );
    return { seq: r.seq, hash: r.hash };
  }

  /** Awaits the status projection beside the ledger append (two connections, no extra wait). */
  async function both<T>(status: Promise<void>, appended: Promise<T>): Promise<T> {
    const [, r] = await Promise.all([status, appended]);
    return r;
  }

  async function setStatus(
    applicationId: string,
    status: LoanStatus,
    extra: Partial<typeof loanApplications.$inferInsert> = {},
  ) {
    await db
      .update(loanApplications)
      .set({ status, updatedAt: sql`now()`, ...extra })
      .where(eq(loanApplications.id, applicationId));
  }

  return {
    async recordLoanReceived(input: {
      applicationId: string;
      requestedBy: string;
      amount: number;
      currency: string;
      termMonths: number;
      ruleSetVersion: string;
    }) {
      const { workflowExecution } = Context.current().info;
      const status = setStatus(input.applicationId, 'received', { workflowRunId: workflowExecution?.runId });
      return both(
        status,
        record('application-received', input.applicationId, {
          event_type: 'loan.application_received',
          actor: { type: 'user', id: input.requestedBy },
          action: 'receive',
          outcome: 'success',
          payload: {
            amount: input.amount,
            currency: input.currency,
            term_months: input.termMonths,
            rule_set_version: input.ruleSetVersion,
          },
        }),
      );
    },

    /** Records the rules' decision: rule id, version, inputs, outcome. */
    async recordRulesEvaluated(input: { applicationId: string; evaluation: RuleEvaluation }) {
      const ev = input.evaluation;
      return record('rules-evaluated', input.applicationId, {
        event_type: 'loan.rules_evaluated',
        action: 'decide',
        outcome: 'success',
        payload: {
          rule_set_id: ev.ruleSetId,
          rule_set_version: ev.ruleSetVersion,
          deciding_rule_id: ev.decidingRuleId,
          outcome: ev.outcome,
          reason: ev.reason,
          inputs: { ...ev.inputs },
          fired: ev.fired.map((f) => ({ ...f })),
        },
      });
    },

    /** Opens manual review; returns the principals eligible to decide (role reviewer, not the submitter). */
    async requestReview(input: {
      applicationId: string;
      requestedBy: string;
      ruleId: string;
      dueAt: string;
      escalateAt: string;
    }) {
      const rows = await db
        .select({ id: principals.id })
        .from(principals)
        .where(arrayContains(principals.roles, ['reviewer']));
      const eligible = rows
        .map((r) => r.id)
        .filter((id) => id !== input.requestedBy)
        .sort();
      const status = setStatus(input.applicationId, 'awaiting_review');
      await both(
        status,
        record('review-requested', input.applicationId, {
          event_type: 'loan.review_requested',
          action: 'request_review',
          outcome: 'success',
          payload: {
            rule_id: input.ruleId,
            due_at: input.dueAt,
            escalate_at: input.escalateAt,
            eligible_reviewers: eligible,
          },
        }),
      );
      return eligible;
    },

    async recordReviewEscalated(input: { applicationId: string; dueAt: string }) {
      const status = setStatus(input.applicationId, 'escalated');
      return both(
        status,
        record('review-escalated', input.applicationId, {
          event_type: 'loan.review_escalated',
          action: 'escalate',
          outcome: 'success',
          payload: { auto_decline_at: input.dueAt, escalated_to: 'reviewers' },
        }),
      );
    },

    async recordReviewDecision(input: { applicationId: string; review: ReviewDecision }) {
      return record('review-decided', input.applicationId, {
        event_type: 'loan.review_decided',
        actor: { type: 'user', id: input.review.reviewerId },
        action: input.review.decision,
        outcome: 'success',
        payload: { decision: input.review.decision, reason: input.review.reason },
      });
    },

    /** The final decision event, and the application row's status. */
    async recordFinalDecision(input: { applicationId: string; decision: FinalDecision }) {
      const d = input.decision;
      const status = setStatus(input.applicationId, d.outcome, {
        decision: d.outcome,
        decidedBy: `${d.decidedBy.type}:${d.decidedBy.id}`,
      });
      return both(
        status,
        record('decision-made', input.applicationId, {
          event_type: 'loan.decision_made',
          actor: d.decidedBy.type === 'reviewer' ? { type: 'user', id: d.decidedBy.id } : workflowActor(),
          action: d.outcome === 'approved' ? 'approve' : 'decline',
          outcome: 'success',
          payload: {
            outcome: d.outcome,
            decided_by: { ...d.decidedBy },
            rule_id: d.ruleId,
            rule_set_version: d.ruleSetVersion,
            reason: d.reason,
          },
        }),
      );
    },

    async recordLoanFailed(input: {
      applicationId: string;
      error: string;
      compensations: Array<{ action: string; outcome: string; detail?: string }>;
    }) {
      const status = setStatus(input.applicationId, 'failed');
      return both(
        status,
        record('origination-failed', input.applicationId, {
          event_type: 'loan.origination_failed',
          action: 'fail',
          outcome: 'error',
          payload: {
            error: input.error.slice(0, 1000),
            compensations: input.compensations.map((c) => ({ ...c })),
          },
        }),
      );
    },
  };
}
