import { ApplicationFailure, Context } from '@temporalio/activity';
import { LoanFailure } from '../contracts/loan-origination';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import {
  cancelCreditInquiry,
  fetchCompanyRegistry,
  openCreditInquiry,
  type EnrichmentDeps,
} from '../services/loans/enrichment';
import {
  ApplicantDataMissingError,
  ProviderMalformedResponseError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnavailableError,
  ProvidersNotConfiguredError,
  ScreeningInputRejectedError,
} from '../services/loans/errors';
import { createPartyScreening, type ScreenName } from '../services/loans/party-screening';
import { createLoanRecords } from '../services/loans/records';
import type { LoanStep, StepOf } from '../services/loans/step';
import { PrincipalError } from '../services/principals/authorization';
import { requirePrincipal } from '../services/principals/principals';
import { activityAuditContext, attemptEventKey, businessEventKey } from './audit-context';
import { authorizedUpdater } from '../services/principals/workflow-starts';
import { UNAUTHORIZED_START, workflowInitiator } from './initiator';
import { createHistoryArchiveActivities, requestHistoryArchive } from './history-archive';

export interface LoanActivityDeps {
  db: Database;
  ledger: Ledger;
  /** Provider endpoints (the entrypoint reads them from config or starts the simulators). */
  providers?: EnrichmentDeps['providers'];
  providerTimeoutMs?: number;
  /** The sanctions engine's single-name screening. */
  screenName: ScreenName;
}

/**
 * The running activity's step, for the loan services: its events' actor is the workflow (by id;
 * the run id is in the context) acting for `initiator`, the principal whose start is on record.
 */
function stepOf(name: string, initiator: string): LoanStep {
  const ctx = Context.current();
  return {
    auditContext: () => ({ ...activityAuditContext(name), initiated_by: initiator }),
    actor: { type: 'workflow', id: ctx.info.workflowExecution?.workflowId ?? 'loanOrigination' },
    businessKey: () => businessEventKey(name),
    attemptKey: () => attemptEventKey(name),
    workflowType: ctx.info.workflowType ?? 'loanOrigination',
    runId: ctx.info.workflowExecution?.runId,
    heartbeat: () => ctx.heartbeat(),
    signal: ctx.cancellationSignal,
  };
}

/** Maps the loan services' domain errors to the contract's failure types. */
function toFailure(err: unknown): unknown {
  if (err instanceof ProviderRateLimitedError) {
    return ApplicationFailure.create({
      type: LoanFailure.ProviderRateLimited,
      message: err.message,
      nextRetryDelay: err.retryAfterS !== undefined ? err.retryAfterS * 1000 : undefined,
    });
  }
  const nonRetryable: Array<[new (...a: never[]) => Error, string]> = [
    [ProviderRejectedError, LoanFailure.ProviderRejected],
    [ProviderMalformedResponseError, LoanFailure.ProviderMalformedResponse],
    [ApplicantDataMissingError, LoanFailure.ApplicantDataMissing],
    [ScreeningInputRejectedError, LoanFailure.ScreeningInputRejected],
  ];
  for (const [cls, type] of nonRetryable) {
    if (err instanceof cls)
      return ApplicationFailure.create({ type, message: err.message, nonRetryable: true });
  }
  if (err instanceof ProviderUnavailableError) {
    return ApplicationFailure.create({ type: LoanFailure.ProviderUnavailable, message: err.message });
  }
  if (err instanceof ProvidersNotConfiguredError) {
    return ApplicationFailure.create({ type: LoanFailure.ProvidersNotConfigured, message: err.message });
  }
  return err;
}

/** Runs a service call, mapping its domain errors to ApplicationFailures. */
async function adapt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toFailure(err);
  }
}

/**
 * A reviewer named by a review Update is re-checked where its decision is written: a known, active
 * principal allowed loan.review, not the initiator (an Update sent through a raw Temporal client
 * cannot record a decision under the name of someone who may not take it).
 */
async function checkReviewer(db: Database, reviewerId: string, initiator: string): Promise<void> {
  try {
    await requirePrincipal(db, reviewerId, 'loan.review');
  } catch (err) {
    if (!(err instanceof PrincipalError)) throw err;
    throw ApplicationFailure.create({ type: UNAUTHORIZED_START, message: err.message, nonRetryable: true });
  }
  if (reviewerId === initiator)
    throw ApplicationFailure.create({
      type: UNAUTHORIZED_START,
      message: 'the reviewer is the principal who submitted the application',
      nonRetryable: true,
    });
}

/**
 * The review Update that brought a decision must be on record as sent by the reviewer it names
 * (reviewLoan records it before sending): an Update sent straight through Temporal is not.
 */
async function checkUpdater(db: Database, reviewerId: string, updateId: string | undefined): Promise<void> {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
  const sender = updateId ? await authorizedUpdater(db, workflowId, updateId) : undefined;
  if (sender !== reviewerId)
    throw ApplicationFailure.create({
      type: UNAUTHORIZED_START,
      message: `workflow ${workflowId}: the review Update is not on record as sent by the reviewer it names`,
      nonRetryable: true,
    });
}

/** Set by a run that archives its history through the batch archiver (see workflows/loan-origination.ts). */
interface ArchiveRequest {
  archiveHistory?: boolean;
}

/** Activities of the loanOrigination workflow and the history archiver. */
export function createLoanActivities(deps: LoanActivityDeps) {
  const records = createLoanRecords(deps);
  const screening = createPartyScreening(deps);
  /** Steps acting for the workflow's authorized initiator (which `claimed`, when given, must be). */
  const as = async (claimed?: string): Promise<StepOf> => {
    const initiator = await workflowInitiator(deps.db, claimed);
    return (name) => stepOf(name, initiator);
  };
  return {
    fetchCompanyRegistry: (input: Parameters<typeof fetchCompanyRegistry>[2]) =>
      adapt(async () => fetchCompanyRegistry(deps, await as(), input)),
    openCreditInquiry: (input: Parameters<typeof openCreditInquiry>[2]) =>
      adapt(async () => openCreditInquiry(deps, await as(), input)),
    cancelCreditInquiry: (input: Parameters<typeof cancelCreditInquiry>[2]) =>
      adapt(async () => cancelCreditInquiry(deps, await as(), input)),
    screenParties: (input: Parameters<typeof screening.screenParties>[1]) =>
      adapt(async () => screening.screenParties(await as(), input)),
    recordLoanReceived: async (input: Parameters<typeof records.recordLoanReceived>[1]) =>
      records.recordLoanReceived(await as(input.requestedBy), input),
    recordRulesEvaluated: async (input: Parameters<typeof records.recordRulesEvaluated>[1]) =>
      records.recordRulesEvaluated(await as(), input),
    requestReview: async (input: Parameters<typeof records.requestReview>[1]) =>
      records.requestReview(await as(input.requestedBy), input),
    recordReviewEscalated: async (input: Parameters<typeof records.recordReviewEscalated>[1]) =>
      records.recordReviewEscalated(await as(), input),
    recordReviewDecision: async (
      input: Parameters<typeof records.recordReviewDecision>[1] & { review: { updateId?: string } },
    ) => {
      const initiator = await workflowInitiator(deps.db);
      await checkUpdater(deps.db, input.review.reviewerId, input.review.updateId);
      await checkReviewer(deps.db, input.review.reviewerId, initiator);
      return records.recordReviewDecision((name) => stepOf(name, initiator), input);
    },
    /** The run's last activity: with `archiveHistory`, it names the run to the batch archiver too. */
    recordFinalDecision: async (
      input: Parameters<typeof records.recordFinalDecision>[1] & ArchiveRequest,
    ) => {
      const initiator = await workflowInitiator(deps.db);
      const by = input.decision.decidedBy;
      if (by.type === 'reviewer') await checkReviewer(deps.db, by.id, initiator);
      const r = await records.recordFinalDecision((name) => stepOf(name, initiator), input);
      if (input.archiveHistory) await requestHistoryArchive();
      return r;
    },
    /** The failed run's last activity: with `archiveHistory`, it names the run to the batch archiver too. */
    recordLoanFailed: async (input: Parameters<typeof records.recordLoanFailed>[1] & ArchiveRequest) => {
      const r = await records.recordLoanFailed(await as(), input);
      if (input.archiveHistory) await requestHistoryArchive();
      return r;
    },
    ...createHistoryArchiveActivities(deps),
  };
}
