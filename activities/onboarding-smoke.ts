import { Context, heartbeat } from '@temporalio/activity';
import type { OnboardingSmokeInput } from '../contracts/onboarding-smoke';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { activityAuditContext, businessEventKey } from './audit-context';

export interface SmokeDeps {
  db: Database;
  ledger: Ledger;
  /** Test hook: keep the activity running this long after its ledger write (crash tests). */
  holdAfterWriteMs?: number;
}

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
      const step = 'application-received';
      const r = await ledger.append(
        {
          event_type: 'onboarding.application_received',
          actor: { type: 'user', id: input.requestedBy },
          resource: { type: 'application', id: input.applicationId },
          action: 'receive',
          outcome: 'success',
          case_id: input.applicationId,
          context: activityAuditContext(step),
          payload: { channel: 'smoke-test' },
        },
        { idempotencyKey: businessEventKey(step) },
      );
      await hold();
      return { step, seq: r.seq, hash: r.hash };
    },

    async recordOnboardingChecked(input: OnboardingSmokeInput) {
      const step = 'onboarding-checked';
      const r = await ledger.append(
        {
          event_type: 'onboarding.check_completed',
          actor: { type: 'workflow', id: Context.current().info.workflowType ?? 'onboardingSmoke' },
          resource: { type: 'application', id: input.applicationId },
          action: 'check',
          outcome: 'success',
          case_id: input.applicationId,
          context: activityAuditContext(step),
          payload: { checks: ['input-valid', 'ledger-writable'] },
        },
        { idempotencyKey: businessEventKey(step) },
      );
      return { step, seq: r.seq, hash: r.hash };
    },
  };
}
