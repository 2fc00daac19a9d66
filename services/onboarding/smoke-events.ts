import type { OnboardingSmokeInput } from '../../contracts/onboarding-smoke';
import type { Ledger } from '../../ledger/ledger';
import type { LoanStep } from '../loans/step';

/** What the smoke events need to know about their workflow step. */
export type SmokeStep = Pick<LoanStep, 'auditContext' | 'businessKey' | 'workflowType'>;

/** One recorded smoke step: where its event landed in the ledger. */
export interface SmokeEventRef {
  step: string;
  seq: number;
  hash: string;
}

/** The `onboarding.application_received` event, keyed by its step (a retry finds it). */
export async function recordApplicationReceived(
  ledger: Ledger,
  at: (name: string) => SmokeStep,
  input: OnboardingSmokeInput,
): Promise<SmokeEventRef> {
  const name = 'application-received';
  const step = at(name);
  const r = await ledger.append(
    {
      event_type: 'onboarding.application_received',
      actor: { type: 'user', id: input.requestedBy },
      resource: { type: 'application', id: input.applicationId },
      action: 'receive',
      outcome: 'success',
      case_id: input.applicationId,
      context: step.auditContext(),
      payload: { channel: 'smoke-test' },
    },
    { idempotencyKey: step.businessKey() },
  );
  return { step: name, seq: r.seq, hash: r.hash };
}

/** The `onboarding.check_completed` event, keyed by its step. */
export async function recordOnboardingChecked(
  ledger: Ledger,
  at: (name: string) => SmokeStep,
  input: OnboardingSmokeInput,
): Promise<SmokeEventRef> {
  const name = 'onboarding-checked';
  const step = at(name);
  const r = await ledger.append(
    {
      event_type: 'onboarding.check_completed',
      actor: { type: 'workflow', id: step.workflowType },
      resource: { type: 'application', id: input.applicationId },
      action: 'check',
      outcome: 'success',
      case_id: input.applicationId,
      context: step.auditContext(),
      payload: { checks: ['input-valid', 'ledger-writable'] },
    },
    { idempotencyKey: step.businessKey() },
  );
  return { step: name, seq: r.seq, hash: r.hash };
}
