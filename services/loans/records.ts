import { arrayContains } from 'drizzle-orm';
import type { FinalDecision, LoanStatus, ReviewDecision } from '../../contracts/loan-origination';
import type { AuditEventInput } from '../../core/audit-event';
import type { JsonObject } from '../../core/json-value';
import { LOAN_STREAM } from '../../core/loan';
import type { RuleEvaluation } from '../../core/loan-rules';
import type { Database } from '../../db/client';
import { principals } from '../../db/schema';
import type { OneTripProjection } from '../../ledger/append-one-trip';
import type { Ledger } from '../../ledger/ledger';
import type { LoanStep, StepOf } from './step';

/** A change of the application row's status (and the columns set with it). */
interface StatusChange {
  status: LoanStatus;
  workflowRunId?: string;
  decision?: string;
  decidedBy?: string;
}

/**
 * The status projection as one statement committed with the ledger append (one round trip, one
 * commit flush: ledger `appendManyOneTrip`). Idempotent (a retried step sets it again).
 */
function projectStatus(applicationId: string, c: StatusChange): OneTripProjection {
  return {
    target: `loan_applications:${applicationId}`,
    sql: (p) =>
      `UPDATE loan_applications SET status = ${p(c.status)}, updated_at = now(),
              workflow_run_id = coalesce(${p(c.workflowRunId ?? null)}, workflow_run_id),
              decision = coalesce(${p(c.decision ?? null)}, decision),
              decided_by = coalesce(${p(c.decidedBy ?? null)}, decided_by)
        WHERE id = ${p(applicationId)}`,
  };
}

/**
 * Business events of the loan workflow (one per step, keyed by workflow id + run id + step) and
 * the application row's status projection, written in the event's statement.
 */
export function createLoanRecords({ db, ledger }: { db: Database; ledger: Ledger }) {
  const workflowActor = (step: LoanStep) => step.actor;

  type StepEvent = Pick<AuditEventInput, 'event_type' | 'action' | 'outcome'> & {
    actor?: AuditEventInput['actor'];
    payload: JsonObject;
  };

  const eventOf = (step: LoanStep, applicationId: string, e: StepEvent): AuditEventInput => ({
    event_type: e.event_type,
    actor: e.actor ?? workflowActor(step),
    resource: { type: 'loan_application', id: applicationId },
    action: e.action,
    outcome: e.outcome,
    case_id: applicationId,
    context: step.auditContext(),
    payload: e.payload,
  });

  async function record(step: LoanStep, applicationId: string, e: StepEvent, status?: StatusChange) {
    const [r] = await ledger.appendManyOneTrip(
      [{ event: eventOf(step, applicationId, e), idempotencyKey: step.businessKey() }],
      { stream: LOAN_STREAM, ...(status ? { project: projectStatus(applicationId, status) } : {}) },
    );
    return { seq: r!.seq, hash: r!.hash };
  }

  const rulesEvent = (ev: RuleEvaluation): StepEvent => ({
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

  return {
    async recordLoanReceived(
      at: StepOf,
      input: {
        applicationId: string;
        requestedBy: string;
        amount: number;
        currency: string;
        termMonths: number;
        ruleSetVersion: string;
      },
    ) {
      const step = at('application-received');
      return record(
        step,
        input.applicationId,
        {
          event_type: 'loan.application_received',
          action: 'receive',
          outcome: 'success',
          payload: {
            amount: input.amount,
            currency: input.currency,
            term_months: input.termMonths,
            rule_set_version: input.ruleSetVersion,
          },
        },
        { status: 'received', workflowRunId: step.runId },
      );
    },

    /** Records the rules' decision: rule id, version, inputs, outcome. */
    async recordRulesEvaluated(at: StepOf, input: { applicationId: string; evaluation: RuleEvaluation }) {
      return record(at('rules-evaluated'), input.applicationId, rulesEvent(input.evaluation));
    },

    /** Opens manual review; returns the principals eligible to decide (role reviewer, not the submitter). */
    async requestReview(
      at: StepOf,
      input: {
        applicationId: string;
        requestedBy: string;
        ruleId: string;
        dueAt: string;
        escalateAt: string;
      },
    ) {
      const rows = await db
        .select({ id: principals.id })
        .from(principals)
        .where(arrayContains(principals.roles, ['reviewer']));
      const eligible = rows
        .map((r) => r.id)
        .filter((id) => id !== input.requestedBy)
        .sort();
      await record(
        at('review-requested'),
        input.applicationId,
        {
          event_type: 'loan.review_requested',
          action: 'request_review',
          outcome: 'success',
          payload: {
            rule_id: input.ruleId,
            due_at: input.dueAt,
            escalate_at: input.escalateAt,
            eligible_reviewers: eligible,
          },
        },
        { status: 'awaiting_review' },
      );
      return eligible;
    },

    async recordReviewEscalated(at: StepOf, input: { applicationId: string; dueAt: string }) {
      return record(
        at('review-escalated'),
        input.applicationId,
        {
          event_type: 'loan.review_escalated',
          action: 'escalate',
          outcome: 'success',
          payload: { auto_decline_at: input.dueAt, escalated_to: 'reviewers' },
        },
        { status: 'escalated' },
      );
    },

    async recordReviewDecision(at: StepOf, input: { applicationId: string; review: ReviewDecision }) {
      return record(at('review-decided'), input.applicationId, {
        event_type: 'loan.review_decided',
        actor: { type: 'user', id: input.review.reviewerId },
        action: input.review.decision,
        outcome: 'success',
        payload: { decision: input.review.decision, reason: input.review.reason },
      });
    },

    /**
     * The final decision event, and the application row's status. With `rules` (a decision the
     * rules took), the rules' evaluation is recorded first, in the same transaction (each event
     * under its own step's key, as when recorded apart).
     */
    async recordFinalDecision(
      at: StepOf,
      input: { applicationId: string; decision: FinalDecision; rules?: RuleEvaluation },
    ) {
      const d = input.decision;
      const step = at('decision-made');
      const decision: StepEvent = {
        event_type: 'loan.decision_made',
        actor: d.decidedBy.type === 'reviewer' ? { type: 'user', id: d.decidedBy.id } : workflowActor(step),
        action: d.outcome === 'approved' ? 'approve' : 'decline',
        outcome: 'success',
        payload: {
          outcome: d.outcome,
          decided_by: { ...d.decidedBy },
          rule_id: d.ruleId,
          rule_set_version: d.ruleSetVersion,
          reason: d.reason,
        },
      };
      const status: StatusChange = {
        status: d.outcome,
        decision: d.outcome,
        decidedBy: `${d.decidedBy.type}:${d.decidedBy.id}`,
      };
      if (!input.rules) return record(step, input.applicationId, decision, status);
      const rulesStep = at('rules-evaluated');
      const [, r] = await ledger.appendManyOneTrip(
        [
          {
            event: eventOf(rulesStep, input.applicationId, rulesEvent(input.rules)),
            idempotencyKey: rulesStep.businessKey(),
          },
          { event: eventOf(step, input.applicationId, decision), idempotencyKey: step.businessKey() },
        ],
        { stream: LOAN_STREAM, project: projectStatus(input.applicationId, status) },
      );
      return { seq: r!.seq, hash: r!.hash };
    },

    async recordLoanFailed(
      at: StepOf,
      input: {
        applicationId: string;
        error: string;
        compensations: Array<{ action: string; outcome: string; detail?: string }>;
      },
    ) {
      return record(
        at('origination-failed'),
        input.applicationId,
        {
          event_type: 'loan.origination_failed',
          action: 'fail',
          outcome: 'error',
          payload: {
            error: input.error.slice(0, 1000),
            compensations: input.compensations.map((c) => ({ ...c })),
          },
        },
        { status: 'failed' },
      );
    },
  };
}
