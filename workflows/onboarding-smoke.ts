import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  OnboardingSmokeInputSchema,
  type OnboardingSmokeInput,
  type OnboardingSmokeResult,
  type OnboardingSmokeWorkflow,
} from '../contracts/onboarding-smoke';
import { validateInput } from './validate-input';

const { recordApplicationReceived, recordOnboardingChecked } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds' },
});

/** A first end-to-end workflow: two activities, each writing one audit event to the ledger. */
export async function onboardingSmoke(rawInput: OnboardingSmokeInput): Promise<OnboardingSmokeResult> {
  const input = validateInput(OnboardingSmokeInputSchema, rawInput);
  const received = await recordApplicationReceived(input);
  const checked = await recordOnboardingChecked(input);
  return { applicationId: input.applicationId, events: [received, checked] };
}

onboardingSmoke satisfies OnboardingSmokeWorkflow;
