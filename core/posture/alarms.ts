import { z } from 'zod';
import type { PostureSettings } from './settings';

/** Alarms as code: conditions computed from live signals, and the firings/resolutions they imply. */

export const AlarmKindSchema = z.enum([
  'volume_drop',
  'verification_failed',
  'verification_lag',
  'purge_failed',
  'key_age',
  'posture_failed',
  'witness_fork',
  'witness_rollback',
  'witness_bad_record',
]);
export type AlarmKind = z.infer<typeof AlarmKindSchema>;

/** A condition that holds now. `alarm_id` is stable across runs (e.g. `volume_drop:loans`). */
export const AlarmConditionSchema = z
  .object({
    alarm_id: z.string().min(1).max(300),
    kind: AlarmKindSchema,
    severity: z.enum(['warning', 'critical']),
    detail: z.string(),
  })
  .strict();
export type AlarmCondition = z.infer<typeof AlarmConditionSchema>;

/** An alarm whose latest ledger event is a firing. */
export interface OpenAlarm {
  alarm_id: string;
  kind: AlarmKind;
  fired_seq: number;
}

/** A change to record: `after_seq` is the alarm's latest ledger event (0: none), which makes the change's idempotency key. */
export const AlarmChangeSchema = z.discriminatedUnion('state', [
  z
    .object({ state: z.literal('fired'), condition: AlarmConditionSchema, after_seq: z.number().int() })
    .strict(),
  z
    .object({
      state: z.literal('resolved'),
      alarm_id: z.string().min(1),
      kind: AlarmKindSchema,
      fired_seq: z.number().int(),
      after_seq: z.number().int(),
    })
    .strict(),
]);
export type AlarmChange = z.infer<typeof AlarmChangeSchema>;

/** Events per stream in the recent window and in the baseline windows before it. */
export interface StreamVolume {
  stream: string;
  recent: number;
  baseline: number;
}

/** Streams whose recent volume fell below `volumeDropRatio` of their own per-window baseline. */
export function volumeDropConditions(volumes: StreamVolume[], s: PostureSettings): AlarmCondition[] {
  const out: AlarmCondition[] = [];
  for (const v of volumes) {
    const perWindow = v.baseline / s.volumeBaselineWindows;
    if (perWindow < s.volumeMinBaseline || perWindow === 0) continue;
    if (v.recent < perWindow * s.volumeDropRatio) {
      out.push({
        alarm_id: `volume_drop:${v.stream}`,
        kind: 'volume_drop',
        severity: 'critical',
        detail:
          `stream ${v.stream}: ${v.recent} events in the last ${s.volumeWindowMinutes} min against a baseline ` +
          `of ${perWindow.toFixed(1)} per window (below ${Math.round(s.volumeDropRatio * 100)}%)`,
      });
    }
  }
  return out;
}

/** The last verification failed, or no successful verification within the window. */
export function verificationConditions(
  v: { lastFailure: { seq: number; at: string } | null; lastSuccessAt: string | null },
  now: string,
  s: PostureSettings,
): AlarmCondition[] {
  if (v.lastFailure && (!v.lastSuccessAt || v.lastFailure.at > v.lastSuccessAt)) {
    return [
      {
        alarm_id: 'verification_failed',
        kind: 'verification_failed',
        severity: 'critical',
        detail: `the last chain verification failed (compliance#${v.lastFailure.seq} at ${v.lastFailure.at})`,
      },
    ];
  }
  const lagHours = v.lastSuccessAt ? (Date.parse(now) - Date.parse(v.lastSuccessAt)) / 3_600_000 : Infinity;
  if (lagHours > s.verificationWindowHours) {
    return [
      {
        alarm_id: 'verification_lag',
        kind: 'verification_lag',
        severity: 'warning',
        detail: v.lastSuccessAt
          ? `no successful chain verification for ${lagHours.toFixed(1)} h (window ${s.verificationWindowHours} h)`
          : 'no successful chain verification recorded',
      },
    ];
  }
  return [];
}

/** The alarm kinds the witness comparison raises. */
export const WITNESS_ALARM_KINDS = ['witness_fork', 'witness_rollback', 'witness_bad_record'] as const;

/** The witness alarm the last witness comparison implies (none when it was consistent or empty). */
export function witnessConditions(
  last: { status: string; detail: string; seq: number } | null,
): AlarmCondition[] {
  const kind = (
    { fork: 'witness_fork', rollback: 'witness_rollback', bad_witness: 'witness_bad_record' } as const
  )[last?.status as 'fork' | 'rollback' | 'bad_witness'];
  if (!last || !kind) return [];
  return [
    {
      alarm_id: kind,
      kind,
      severity: 'critical',
      detail: `${last.detail} (witness check at compliance#${last.seq})`,
    },
  ];
}

/** Fire what holds and is not open; resolve what is open and no longer holds. */
export function planAlarmChanges(
  conditions: AlarmCondition[],
  open: OpenAlarm[],
  latestSeq: (alarmId: string) => number,
): AlarmChange[] {
  const holding = new Set(conditions.map((c) => c.alarm_id));
  const isOpen = new Set(open.map((o) => o.alarm_id));
  const changes: AlarmChange[] = [];
  for (const c of conditions) {
    if (!isOpen.has(c.alarm_id))
      changes.push({ state: 'fired', condition: c, after_seq: latestSeq(c.alarm_id) });
  }
  for (const o of open) {
    if (!holding.has(o.alarm_id))
      changes.push({
        state: 'resolved',
        alarm_id: o.alarm_id,
        kind: o.kind,
        fired_seq: o.fired_seq,
        after_seq: latestSeq(o.alarm_id),
      });
  }
  return changes;
}
