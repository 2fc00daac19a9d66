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
import type { LoanStep } from '../services/loans/step';
import { activityAuditContext, attemptEventKey, businessEventKey } from './audit-context';
import { createHistoryArchiveActivities } from './history-archive';

export interface LoanActivityDeps {
  db: Database;
  ledger: Ledger;
  /** Provider endpoints (the entrypoint reads them from config or starts the simulators). */
  providers?: EnrichmentDeps['providers'];
  providerTimeoutMs?: number;
  /** The sanctions engine's single-name screening. */
  screenName: ScreenName;
}

/** The running activity's step, for the loan services. */
function stepOf(name: string): LoanStep {
  const ctx = Context.current();
  return {
    auditContext: () => activityAuditContext(name),
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

/** Activities of the loanOrigination workflow and the history archiver. */
export function createLoanActivities(deps: LoanActivityDeps) {
  const records = createLoanRecords(deps);
  const screening = createPartyScreening(deps);
  return {
    fetchCompanyRegistry: (input: Parameters<typeof fetchCompanyRegistry>[2]) =>
      adapt(() => fetchCompanyRegistry(deps, stepOf, input)),
    openCreditInquiry: (input: Parameters<typeof openCreditInquiry>[2]) =>
      adapt(() => openCreditInquiry(deps, stepOf, input)),
    cancelCreditInquiry: (input: Parameters<typeof cancelCreditInquiry>[2]) =>
      adapt(() => cancelCreditInquiry(deps, stepOf, input)),
    screenParties: (input: Parameters<typeof screening.screenParties>[1]) =>
      adapt(() => screening.screenParties(stepOf, input)),
    recordLoanReceived: (input: Parameters<typeof records.recordLoanReceived>[1]) =>
      records.recordLoanReceived(stepOf, input),
    recordRulesEvaluated: (input: Parameters<typeof records.recordRulesEvaluated>[1]) =>
      records.recordRulesEvaluated(stepOf, input),
    requestReview: (input: Parameters<typeof records.requestReview>[1]) =>
      records.requestReview(stepOf, input),
    recordReviewEscalated: (input: Parameters<typeof records.recordReviewEscalated>[1]) =>
      records.recordReviewEscalated(stepOf, input),
    recordReviewDecision: (input: Parameters<typeof records.recordReviewDecision>[1]) =>
      records.recordReviewDecision(stepOf, input),
    recordFinalDecision: (input: Parameters<typeof records.recordFinalDecision>[1]) =>
      records.recordFinalDecision(stepOf, input),
    recordLoanFailed: (input: Parameters<typeof records.recordLoanFailed>[1]) =>
      records.recordLoanFailed(stepOf, input),
    ...createHistoryArchiveActivities(deps),
  };
}
