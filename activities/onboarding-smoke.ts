import { Context, heartbeat } from '@temporalio/activity';
import type { OnboardingSmokeInput } from '../contracts/onboarding-smoke';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import {
  recordApplicationReceived,
  recordOnboardingChecked,
  type SmokeStep,
} from '../services/onboarding/smoke-events';
import { activityAuditContext, businessEventKey } from './audit-context';
import { workflowInitiator } from './initiator';

export interface SmokeDeps {
  db: Database;
  ledger: Ledger;
  /** Test hook: keep the activity running this long after its ledger write (crash tests). */
  holdAfterWriteMs?: number;
}

const stepOf =
  (initiator: string) =>
  (name: string): SmokeStep => ({
    auditContext: () => ({ ...activityAuditContext(name), initiated_by: initiator }),
    businessKey: () => businessEventKey(name),
    workflowType: Context.current().info.workflowType ?? 'onboardingSmoke',
  });

/**
 * Activities of the `onboardingSmoke` workflow: each writes one business event, acting for the
 * workflow's authorized initiator, whom the input's `requestedBy` must name.
 */
export function createSmokeActivities({ db, ledger, holdAfterWriteMs = 0 }: SmokeDeps) {
  const as = async (input: OnboardingSmokeInput) => stepOf(await workflowInitiator(db, input.requestedBy));
  async function hold(): Promise<void> {
    const until = Date.now() + holdAfterWriteMs;
    while (Date.now() < until) {
      heartbeat();
      await Context.current().sleep(200);
    }
  }

  return {
    async recordApplicationReceived(input: OnboardingSmokeInput) {
      const ref = await recordApplicationReceived(ledger, await as(input), input);
      await hold();
      return ref;
    },

    recordOnboardingChecked: async (input: OnboardingSmokeInput) =>
      recordOnboardingChecked(ledger, await as(input), input),
  };
}
