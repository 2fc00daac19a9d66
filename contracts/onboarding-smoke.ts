import { z } from 'zod';
import { workflowRef } from './workflow-ref';

/** Input of the `onboardingSmoke` workflow: ids and non-personal fields only. */
export const OnboardingSmokeInputSchema = z
  .object({
    applicationId: z.string().regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3-64 letters, digits, "_" or "-"'),
    requestedBy: z.string().min(1).max(200),
  })
  .strict();
export type OnboardingSmokeInput = z.infer<typeof OnboardingSmokeInputSchema>;

export interface OnboardingSmokeResult {
  applicationId: string;
  events: Array<{ step: string; seq: number; hash: string }>;
}

export type OnboardingSmokeWorkflow = (input: OnboardingSmokeInput) => Promise<OnboardingSmokeResult>;
/** Typed reference for starting `onboardingSmoke`. */
export const onboardingSmokeWorkflow = workflowRef<OnboardingSmokeWorkflow>('onboardingSmoke');
