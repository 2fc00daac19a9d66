import { z } from 'zod';
import { PostureSettingsSchema } from '../core/posture/settings';
import { workflowRef } from './workflow-ref';

/** Contract of the `postureCheck` workflow (workflows/posture.ts). */

export const PostureCheckInputSchema = z
  .object({
    /** The starter, if given: it must be the principal whose start is on record (see docs/identity.md). */
    requestedBy: z.string().min(1).max(200).optional(),
    /** Overrides of the control and alarm thresholds (core/posture/settings.ts). */
    settings: PostureSettingsSchema.partial().strict().default({}),
    /** Alarm evaluation time (ISO 8601): the end of the volume window; default the run's start. */
    asOf: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), 'asOf must be an ISO 8601 time')
      .optional(),
  })
  .strict();
export type PostureCheckInput = z.input<typeof PostureCheckInputSchema>;

export const PostureCheckResultSchema = z
  .object({
    ok: z.boolean(),
    report: z.object({ stream: z.string(), seq: z.number().int(), event_id: z.string(), key_id: z.string() }),
    summary: z.object({ pass: z.number().int(), fail: z.number().int(), error: z.number().int() }),
    failing: z.array(z.object({ id: z.string(), status: z.string(), detail: z.string() })),
    alarms: z.array(
      z.object({
        alarm_id: z.string(),
        state: z.enum(['fired', 'resolved']),
        seq: z.number().int(),
        delivered: z.boolean(),
      }),
    ),
  })
  .strict();
export type PostureCheckResult = z.infer<typeof PostureCheckResultSchema>;

/** Failure types of the posture check. */
export const PostureFailure = {
  /** A control failed: the run fails (non-retryable) after storing the report and raising alarms. */
  PostureCheckFailed: 'PostureCheckFailed',
} as const;

export type PostureCheckWorkflow = (input?: PostureCheckInput) => Promise<PostureCheckResult>;

/** Typed reference to the `postureCheck` workflow, for clients and schedules. */
export const postureCheckWorkflow = workflowRef<PostureCheckWorkflow>('postureCheck');
