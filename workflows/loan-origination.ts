import {
  ApplicationFailure,
  CancellationScope,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import {
  LoanFailure,
  LoanWorkflowInputSchema,
  type CreditSummary,
  type FinalDecision,
  type LoanResult,
  type LoanWorkflowInput,
  type LoanOriginationWorkflow,
  type ScreeningSummary,
  type RegistrySummary,
} from '../contracts/loan-origination';
import type { ArchiveWorkflowHistoryWorkflow } from '../contracts/history-archiver';
import { ARCHIVER_WORKFLOW_TYPE, archiverWorkflowId } from '../core/loan';
import { evaluateRules, ruleSetFor, type RuleEvaluation } from '../core/loan-rules';
import { startLoanRun, type LoanRun } from './loan-run';
import { manualReview } from './loan-review';
import { Saga } from './saga';
import { validateInput } from './validate-input';

/**
 * Patch: compensations, the failure record and the archiver run in a non-cancellable scope, so a
 * cancelled application still cancels its credit inquiry. Histories recorded before it ran them
 * in the workflow's own scope (see docs/architecture.md, "Versioning workflows").
 */
export const SAGA_NON_CANCELLABLE_PATCH = 'loan-saga-noncancellable';

/**
 * Patch: the run's last activity names it to the batch history archiver of its task queue
 * (workflows/history-archiver.ts, archiveClosedRuns) instead of the run starting one archiver
 * child of its own. Histories recorded before it start the child.
 */
export const BATCH_ARCHIVE_PATCH = 'loan-archive-batched';

/**
 * Patch: a decision the rules took is recorded by the decision's activity, rules evaluation and
 * decision in one transaction (one activity less). Histories recorded before it, and decisions
 * sent to review, record the evaluation in its own activity first.
 */
export const RULES_WITH_DECISION_PATCH = 'loan-rules-with-decision';

/** How this run's history gets archived once it has closed. */
type Archiving = 'off' | 'batch' | 'child';

/**
 * Loan origination: record the application received → enrich (business registry and credit
 * bureau in parallel) → screen the applicant and the company officers → decide by the versioned
 * rules, or by a reviewer within the review SLA → record the decision. If anything fails, or the
 * application is cancelled, after the credit inquiry was opened, the inquiry is cancelled
 * (compensation) and the failure is recorded. Personal data never enters this history:
 * activities read it from PostgreSQL by application id.
 */
export async function loanOrigination(rawInput: LoanWorkflowInput): Promise<LoanResult> {
  const run = startLoanRun(validateInput(LoanWorkflowInputSchema, rawInput));
  let decided: Archiving | undefined;
  // Decided once, just before the run's last activity is scheduled, and kept: patched() returns
  // false while an older history replays and true once the run goes live again. Never in the
  // first workflow task (a run cancelled before its first activity): a patch marker recorded
  // there is not found on replay, so such a run starts the child as before.
  const archiving = (): Archiving =>
    (decided ??= !run.input.archiveHistory
      ? 'off'
      : workflowInfo().historyLength > 3 && patched(BATCH_ARCHIVE_PATCH)
        ? 'batch'
        : 'child');
  const saga = new Saga();
  try {
    await recordReceived(run);
    const { registry, credit } = await enrich(run, saga);
    const screening = await screenParties(run);
    const { decision, rules } = await decide(run, registry, credit, screening);
    await recordDecision(run, decision, rules, archiving);
  } catch (err) {
    return await failAndCompensate(run, saga, err, archiving);
  }
  await condition(allHandlersFinished);
  await archiveAfterClose(archiving());
  return run.result();
}

loanOrigination satisfies LoanOriginationWorkflow;

async function recordReceived(run: LoanRun): Promise<void> {
  const { input } = run;
  run.enter('received');
  await run.records.recordLoanReceived({
    applicationId: input.applicationId,
    requestedBy: input.requestedBy,
    amount: input.amount,
    currency: input.currency,
    termMonths: input.termMonths,
    ruleSetVersion: run.ruleSetVersion,
  });
}

/** Registry and bureau in parallel; an opened credit inquiry is registered for compensation. */
async function enrich(
  run: LoanRun,
  saga: Saga,
): Promise<{ registry: RegistrySummary; credit: CreditSummary }> {
  const { input, providers, state } = run;
  run.enter('enriching');
  const [registry, credit] = await Promise.allSettled([
    providers.fetchCompanyRegistry({
      applicationId: input.applicationId,
      companyRegistrationNumber: input.companyRegistrationNumber,
    }),
    providers.openCreditInquiry({ applicationId: input.applicationId, amount: input.amount }),
  ]);
  if (credit.status === 'fulfilled') {
    state.credit = credit.value;
    const { inquiryId } = credit.value;
    saga.add(`cancel credit inquiry ${inquiryId}`, () =>
      providers.cancelCreditInquiry({
        applicationId: input.applicationId,
        inquiryId,
        reason: 'origination failed',
      }),
    );
  }
  if (registry.status === 'fulfilled') state.registry = registry.value;
  if (registry.status === 'rejected') throw registry.reason;
  if (credit.status === 'rejected') throw credit.reason;
  return { registry: registry.value, credit: credit.value };
}

async function screenParties(run: LoanRun): Promise<ScreeningSummary> {
  run.enter('screening');
  run.state.screening = await run.records.screenParties({ applicationId: run.input.applicationId });
  return run.state.screening;
}

/**
 * The versioned rules decide, or send the application to a reviewer. A decision of the rules
 * comes with the evaluation still to record (`rules`), unless it was recorded on its own.
 */
async function decide(
  run: LoanRun,
  reg: RegistrySummary,
  cred: CreditSummary,
  screening: ScreeningSummary,
): Promise<{ decision: FinalDecision; rules?: RuleEvaluation }> {
  const { input, ruleSetVersion } = run;
  run.enter('deciding');
  const evaluation = evaluateRules(ruleSetFor(ruleSetVersion), {
    creditScore: cred.creditScore,
    activeDefaults: cred.activeDefaults,
    companyActive: reg.companyActive,
    companyAgeYears: reg.companyAgeYears,
    amountToRevenue:
      reg.annualRevenue > 0 ? Math.round((input.amount / reg.annualRevenue) * 1000) / 1000 : 999,
    screeningHits: screening.hits.length,
  });
  run.state.rules = evaluation;
  const withDecision = evaluation.outcome !== 'review' && patched(RULES_WITH_DECISION_PATCH);
  if (!withDecision)
    await run.records.recordRulesEvaluated({ applicationId: input.applicationId, evaluation });
  if (evaluation.outcome === 'review') return { decision: await manualReview(run, evaluation) };
  return {
    decision: {
      outcome: evaluation.outcome === 'approve' ? 'approved' : 'declined',
      decidedBy: { type: 'rules', id: `${evaluation.ruleSetId}@${evaluation.ruleSetVersion}` },
      ruleId: evaluation.decidingRuleId,
      ruleSetVersion,
      reason: evaluation.reason,
    },
    ...(withDecision ? { rules: evaluation } : {}),
  };
}

async function recordDecision(
  run: LoanRun,
  decision: FinalDecision,
  rules: RuleEvaluation | undefined,
  archiving: () => Archiving,
): Promise<void> {
  run.state.decision = decision;
  await run.records.recordFinalDecision({
    applicationId: run.input.applicationId,
    decision,
    ...(rules ? { rules } : {}),
    ...(archiving() === 'batch' ? { archiveHistory: true } : {}),
  });
  run.enter(decision.outcome);
}

/**
 * Undoes what was done (newest first), records the failure in the ledger and fails the run; a
 * cancelled application ends cancelled, after the same compensations and record.
 */
async function failAndCompensate(
  run: LoanRun,
  saga: Saga,
  err: unknown,
  archiving: () => Archiving,
): Promise<never> {
  const cancelled = isCancellation(err);
  const message = cancelled
    ? 'application cancelled'
    : err instanceof Error
      ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}`
      : String(err);
  run.state.error = message;
  const wrapUp = async (compensate: typeof saga.compensate) => {
    await compensate.call(saga, (o) => run.state.compensations.push(o));
    await run.records.recordLoanFailed({
      applicationId: run.input.applicationId,
      error: message,
      compensations: run.state.compensations,
      ...(archiving() === 'batch' ? { archiveHistory: true } : {}),
    });
    run.enter('failed');
    await archiveAfterClose(archiving());
  };
  if (patched(SAGA_NON_CANCELLABLE_PATCH)) {
    await CancellationScope.nonCancellable(() => wrapUp(saga.compensate));
    if (cancelled) throw err;
  } else {
    await wrapUp(saga.runAll);
  }
  throw ApplicationFailure.create({ type: LoanFailure.LoanOriginationFailed, message, nonRetryable: true });
}

/**
 * Runs from before {@link BATCH_ARCHIVE_PATCH}: starts the history archiver as an abandoned
 * child: it outlives this run, waits until the run has closed and archives its history (with the
 * close event) and seals its digest.
 */
async function archiveAfterClose(archiving: Archiving): Promise<void> {
  if (archiving !== 'child') return;
  const { workflowId, runId } = workflowInfo();
  // By type name: importing the archiver's module would evaluate it (and its contract's schemas)
  // in every loan run, though only runs from before the patch start it.
  await startChild<ArchiveWorkflowHistoryWorkflow>(ARCHIVER_WORKFLOW_TYPE, {
    workflowId: archiverWorkflowId(workflowId, runId),
    args: [{ workflowId, runId }],
    parentClosePolicy: ParentClosePolicy.ABANDON,
  });
}
