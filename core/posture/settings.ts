import { z } from 'zod';

/** Thresholds of the posture controls and alarms; every field has a default. */
export const PostureSettingsSchema = z
  .object({
    /** A successful chain verification must be at most this old. */
    verificationWindowHours: z.number().positive().default(3),
    /** Rows expired longer ago than this and still present make a purge overdue. */
    purgeGraceHours: z.number().nonnegative().default(48),
    /** The signing key must be rotated within this many days. */
    keyRotationDays: z.number().positive().default(365),
    /** Principals and API keys with no recorded use for this many days are flagged. */
    unusedDays: z.number().positive().default(90),
    /** The latest head published to the witness must be at most this old (unless it is the live head). */
    witnessMaxAgeHours: z.number().positive().default(24),
    /** Temporal schedule ids that must be installed and not paused. */
    schedules: z
      .array(z.string().min(1))
      .default(['ledgerflow-retention', 'ledgerflow-verification', 'ledgerflow-posture']),
    /** The schedule whose failed last run raises the purge-failure alarm. */
    retentionSchedule: z.string().min(1).default('ledgerflow-retention'),
    /** Event-volume alarm: the recent window, in minutes. */
    volumeWindowMinutes: z.number().positive().default(60),
    /** Event-volume alarm: how many windows before the recent one make the baseline. */
    volumeBaselineWindows: z.number().int().positive().default(24),
    /** Event-volume alarm: streams averaging fewer events per window than this are not judged. */
    volumeMinBaseline: z.number().nonnegative().default(10),
    /** Event-volume alarm: fires when the recent window holds less than this share of the baseline. */
    volumeDropRatio: z.number().min(0).max(1).default(0.2),
  })
  .strict();
export type PostureSettings = z.output<typeof PostureSettingsSchema>;
export type PostureSettingsInput = z.input<typeof PostureSettingsSchema>;
