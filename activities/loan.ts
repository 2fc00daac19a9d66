import type { Database } from '../db/client';
import { createEnrichmentActivities, type ProviderEndpoints } from './enrichment';
import { createHistoryArchiveActivities } from './history-archive';
import { createLoanRecordActivities } from './loan-records';
import { createLoanScreeningActivities } from './loan-screening';
import type { Ledger } from '../ledger/ledger';

export interface LoanActivityDeps {
  db: Database;
  ledger: Ledger;
  /** Simulated or real provider endpoints; default from LEDGERFLOW_REGISTRY_URL / LEDGERFLOW_BUREAU_URL. */
  providers?: ProviderEndpoints;
  providerTimeoutMs?: number;
}

/** Activities of the loanOrigination workflow and the history archiver. */
export function createLoanActivities(deps: LoanActivityDeps) {
  return {
    ...createEnrichmentActivities(deps),
    ...createLoanScreeningActivities(deps),
    ...createLoanRecordActivities(deps),
    ...createHistoryArchiveActivities(deps),
  };
}
