import { heartbeat } from '@temporalio/activity';
import type { Ledger } from '../ledger/ledger';
import { runChainVerification, type VerificationDeps } from '../services/verification/chain-verification';
import { recordVerification, type RecordedVerification } from '../services/verification/record';
import type { VerificationRunResult } from '../services/verification/state';
import { activityStamp } from './stamp';

/** Activities of the `chainVerification` workflow. */
export function createVerificationActivities(deps: VerificationDeps & { ledger: Ledger }) {
  return {
    /** Verifies the chain incrementally (heartbeating while it reads); writes nothing. */
    async verifyLedgerChain(input: { streams?: string[]; full?: boolean }): Promise<VerificationRunResult> {
      return runChainVerification(deps, input, () => heartbeat());
    },

    /** Records the outcome in the ledger; a failure also raises a `ledger.alert_raised` event. */
    async recordVerification(input: {
      result: VerificationRunResult;
      requestedBy: string;
    }): Promise<RecordedVerification> {
      return recordVerification(deps, input, activityStamp('chainVerification'));
    },
  };
}
