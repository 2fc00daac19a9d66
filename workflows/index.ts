// Every workflow the worker registers. Deterministic code only: see eslint.config.mjs.
export { onboardingSmoke } from './onboarding-smoke';
export { loanOrigination } from './loan-origination';
export { archiveWorkflowHistory } from './history-archiver';
export { chainVerification, retentionPurge } from './retention';
export { screeningBatch, screeningListUpdate } from './screening';
export { postureCheck } from './posture';
export { alertInvestigation } from './alert-investigation';
