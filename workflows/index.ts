// Every workflow the worker registers. Deterministic code only: see eslint.config.mjs.
//
// Each workflow run evaluates the modules it requires in its own module cache (the SDK's reusable
// V8 context shares only preloaded modules), so this index loads a workflow's module on its first
// call: a loan run builds the loan contract's schemas, not those of every other workflow too.
/* eslint-disable @typescript-eslint/no-require-imports */
import type * as AlertInvestigation from './alert-investigation';
import type * as HistoryArchiver from './history-archiver';
import type * as LoanOrigination from './loan-origination';
import type * as OnboardingSmoke from './onboarding-smoke';
import type * as Posture from './posture';
import type * as Retention from './retention';
import type * as Screening from './screening';

export const onboardingSmoke: typeof OnboardingSmoke.onboardingSmoke = (...a) =>
  (require('./onboarding-smoke') as typeof OnboardingSmoke).onboardingSmoke(...a);
export const loanOrigination: typeof LoanOrigination.loanOrigination = (...a) =>
  (require('./loan-origination') as typeof LoanOrigination).loanOrigination(...a);
export const archiveWorkflowHistory: typeof HistoryArchiver.archiveWorkflowHistory = (...a) =>
  (require('./history-archiver') as typeof HistoryArchiver).archiveWorkflowHistory(...a);
export const archiveClosedRuns: typeof HistoryArchiver.archiveClosedRuns = (...a) =>
  (require('./history-archiver') as typeof HistoryArchiver).archiveClosedRuns(...a);
export const chainVerification: typeof Retention.chainVerification = (...a) =>
  (require('./retention') as typeof Retention).chainVerification(...a);
export const retentionPurge: typeof Retention.retentionPurge = (...a) =>
  (require('./retention') as typeof Retention).retentionPurge(...a);
export const screeningBatch: typeof Screening.screeningBatch = (...a) =>
  (require('./screening') as typeof Screening).screeningBatch(...a);
export const screeningListUpdate: typeof Screening.screeningListUpdate = (...a) =>
  (require('./screening') as typeof Screening).screeningListUpdate(...a);
export const postureCheck: typeof Posture.postureCheck = (...a) =>
  (require('./posture') as typeof Posture).postureCheck(...a);
export const alertInvestigation: typeof AlertInvestigation.alertInvestigation = (...a) =>
  (require('./alert-investigation') as typeof AlertInvestigation).alertInvestigation(...a);
