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

export interface SmokeDeps {
  db: Database;
  ledger: Ledger;
  /** Test hook: keep the activity running this long after its ledger write (crash tests). */
  holdAfterWriteMs?: number;
}

const stepOf = (name: string): SmokeStep => ({
  auditContext: () => activityAuditContext(name),
  businessKey: () => businessEventKey(name),
  workflowType: Context.current().info.workflowType ?? 'onboardingSmoke',
});

/** Activities of the `onboardingSmoke` workflow: each writes one business event. */
export function createSmokeActivities({ ledger, holdAfterWriteMs = 0 }: SmokeDeps) {
  async function hold(): Promise<void> {
    const until = Date.now() + holdAfterWriteMs;
    while (Date.now() < until) {
      heartbeat();
      await Context.current().sleep(200);
    }
  }

  return {
    async recordApplicationReceived(input: OnboardingSmokeInput) {
      const ref = await recordApplicationReceived(ledger, stepOf, input);
      await hold();
      return ref;
    },

    recordOnboardingChecked: (input: OnboardingSmokeInput) => recordOnboardingChecked(ledger, stepOf, input),
  };
}
