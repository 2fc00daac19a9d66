import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { createLoanActivities, type LoanActivityDeps } from './loan';
import { createSmokeActivities } from './onboarding-smoke';
import { createRetentionActivities } from './retention';
import { createScreeningActivities } from './screening';
import { createScreeningWorkflowActivities } from './screening-temporal';
import { createVerificationActivities } from './retention-verify';

/** Everything activities need; the worker builds it once. */
export interface ActivityDeps extends Omit<LoanActivityDeps, 'db' | 'ledger' | 'screenName'> {
  db: Database;
  ledger: Ledger;
  /** Pool as ledgerflow_purger for retention batches (the purger may only execute the purge functions). */
  purgerDb?: Database;
  /** Test hook for crash tests, see {@link createSmokeActivities}. */
  holdAfterWriteMs?: number;
}

/** All ledgerflow activities, built from their dependencies. Workflows import the type only. */
export function createActivities(deps: ActivityDeps) {
  // Built on first use: loan screening needs the sanctions engine only once a list is loaded.
  let engine: ReturnType<typeof createScreeningActivities> | undefined;
  const screenName: LoanActivityDeps['screenName'] = (input) =>
    (engine ??= createScreeningActivities({ db: deps.db, ledger: deps.ledger })).screenName(input);
  return {
    ...createSmokeActivities(deps),
    ...createLoanActivities({ ...deps, screenName }),
    ...createRetentionActivities(deps),
    ...createVerificationActivities(deps),
    ...createScreeningWorkflowActivities({ db: deps.db, ledger: deps.ledger }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
