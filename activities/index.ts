import type { MatcherConfig } from '../core/screening/config';
import type { Signer } from '../core/signing';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { createScreeningService, type ScreeningService } from '../services/screening';
import type { VerificationDeps } from '../services/verification/chain-verification';
import { createInvestigationActivities } from './investigation';
import { createLoanActivities, type LoanActivityDeps } from './loan';
import { createSmokeActivities } from './onboarding-smoke';
import { createPostureActivities, type PostureActivityDeps } from './posture';
import { createRetentionActivities } from './retention';
import { createScreeningActivities } from './screening';
import { createVerificationActivities } from './verification';
import type { WitnessStore } from '../services/witness/store';

/** Everything activities need; the worker builds it once. */
export interface ActivityDeps extends Omit<LoanActivityDeps, 'db' | 'ledger' | 'screenName'> {
  db: Database;
  ledger: Ledger;
  /** Pool as ledgerflow_purger for retention batches (the purger may only execute the purge functions). */
  purgerDb?: Database;
  /** Signs purge certificates: the same signer the ledger signs checkpoints with. */
  signer: Signer;
  /** The checkpoint keys pinned on this machine, for the scheduled chain verification. */
  pinnedKeys: VerificationDeps['pinnedKeys'];
  /** Test hook for crash tests, see {@link createSmokeActivities}. */
  holdAfterWriteMs?: number;
  /** Screening thresholds and scorer (`loadConfig().screening`); default the matcher's defaults. */
  screeningMatcher?: MatcherConfig;
  /** Test hook for crash tests: pause between purge batches, see {@link createRetentionActivities}. */
  purgeBatchDelayMs?: number;
  /** The external witness (LEDGERFLOW_WITNESS_DIR): published to and compared with by the scheduled verification. */
  witness?: WitnessStore;
  /** Posture check: key file, alarm webhook, thresholds (`loadConfig()` LEDGERFLOW_ALARM_*). */
  posture?: PostureActivityDeps;
}

/** All ledgerflow activities, built from their dependencies. Workflows import the type only. */
export function createActivities(deps: ActivityDeps) {
  // Built on first use: loan screening needs the sanctions engine only once a list is loaded.
  let engine: ScreeningService | undefined;
  const screenName: LoanActivityDeps['screenName'] = (input) =>
    (engine ??= createScreeningService({
      db: deps.db,
      ledger: deps.ledger,
      matcher: deps.screeningMatcher,
    })).screenName(input);
  return {
    ...createSmokeActivities(deps),
    ...createLoanActivities({ ...deps, screenName }),
    ...createRetentionActivities(deps),
    ...createVerificationActivities(deps),
    ...createPostureActivities(deps),
    ...createInvestigationActivities(deps),
    ...createScreeningActivities({ db: deps.db, ledger: deps.ledger, matcher: deps.screeningMatcher }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
