import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { ConfigError } from '../runtime/errors';
import type { Ledger } from '../ledger/ledger';
import { runChainVerification, type VerificationDeps } from '../services/verification/chain-verification';
import { recordVerification, type RecordedVerification } from '../services/verification/record';
import type { VerificationRunResult } from '../services/verification/state';
import { runWitnessStep, type WitnessStepOutcome } from '../services/witness/scheduled';
import type { WitnessStore } from '../services/witness/store';
import { initiatedStamp, workflowInitiator } from './initiator';

/** Activities of the `chainVerification` workflow. */
export function createVerificationActivities(
  deps: VerificationDeps & { ledger: Ledger; witness?: WitnessStore },
) {
  return {
    /** Verifies the chain incrementally (heartbeating while it reads); writes nothing. */
    async verifyLedgerChain(input: { streams?: string[]; full?: boolean }): Promise<VerificationRunResult> {
      await workflowInitiator(deps.ledger.db);
      return runChainVerification(deps, input, () => heartbeat());
    },

    /**
     * Records the outcome in the ledger, requested by the workflow's authorized initiator (the
     * input's, if any, must match it); a failure also raises a `ledger.alert_raised` event.
     */
    async recordVerification(input: {
      result: VerificationRunResult;
      requestedBy?: string;
    }): Promise<RecordedVerification> {
      const stamp = await initiatedStamp(deps.ledger.db, 'chainVerification', input.requestedBy);
      return recordVerification(deps, { result: input.result, requestedBy: stamp.initiatedBy }, stamp);
    },

    /**
     * With a witness configured: publishes the signed head (only after a valid chain) and compares
     * the live ledger with the witness, recorded as `ledger.witness_checked`; returns the witness
     * alarm changes. Null without a witness.
     */
    async witnessCheck(input: { publish: boolean }): Promise<WitnessStepOutcome | null> {
      if (!deps.witness) return null;
      const stamp = await initiatedStamp(deps.ledger.db, 'chainVerification');
      const pinned = deps.pinnedKeys();
      try {
        return await runWitnessStep(
          { ledger: deps.ledger, store: deps.witness, trustedKeys: pinned.size > 0 ? pinned : undefined },
          input,
          stamp,
        );
      } catch (err) {
        // A missing or unreadable witness directory does not heal by retrying: fail the run visibly.
        if (err instanceof ConfigError)
          throw ApplicationFailure.nonRetryable(err.message, 'WitnessUnavailable');
        throw err;
      }
    },
  };
}
