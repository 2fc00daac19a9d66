import type { Client } from '@temporalio/client';
import {
  planAlarmChanges,
  verificationConditions,
  volumeDropConditions,
  witnessConditions,
  type AlarmChange,
  type AlarmCondition,
  type AlarmKind,
  type OpenAlarm,
} from '../../core/posture/alarms';
import { daysBetween } from '../../core/posture/evaluate';
import type { PostureSettings } from '../../core/posture/settings';
import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { EventContext } from '../../core/audit-event';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import {
  lastWitnessCheck,
  probeSchedules,
  signingKeyCreatedAt,
  streamVolumes,
  verificationSignals,
} from './signals';

export const ALARM_FIRED_EVENT = 'alarm.fired';
export const ALARM_RESOLVED_EVENT = 'alarm.resolved';

/** Per alarm id, its latest ledger event (fired or resolved). */
async function latestAlarmEvents(db: Database): Promise<
  Array<{
    alarm_id: string;
    event_type: string;
    seq: number;
    kind: AlarmKind;
    occurred_at: string;
    detail: string | null;
  }>
> {
  const r = await db.$client.query<{
    alarm_id: string;
    event_type: string;
    seq: string;
    kind: AlarmKind;
    occurred_at: Date;
    detail: string | null;
  }>(
    `SELECT DISTINCT ON (e.resource_id) e.resource_id AS alarm_id, e.event_type, e.seq, e.occurred_at,
            p.payload->>'kind' AS kind, p.payload->>'detail' AS detail
       FROM ledger_events e LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
      WHERE e.stream = $1 AND e.event_type IN ($2, $3)
      ORDER BY e.resource_id, e.seq DESC`,
    [COMPLIANCE_STREAM, ALARM_FIRED_EVENT, ALARM_RESOLVED_EVENT],
  );
  return r.rows.map((x) => ({
    ...x,
    seq: Number(x.seq),
    occurred_at: new Date(x.occurred_at).toISOString(),
  }));
}

/** Alarms currently open (latest event is a firing), for `doctor`, `schedules list` and the planner. */
export async function openAlarms(db: Database): Promise<OpenAlarm[]> {
  return (await openAlarmDetails(db)).map(({ alarm_id, kind, fired_seq }) => ({ alarm_id, kind, fired_seq }));
}

/** An open alarm as shown to operators: when it fired and why (null when its payload was purged). */
export interface OpenAlarmDetail extends OpenAlarm {
  fired_at: string;
  detail: string | null;
}

/** Open alarms with their firing time and detail (`doctor`, `schedules list`). */
export async function openAlarmDetails(db: Database): Promise<OpenAlarmDetail[]> {
  return (await latestAlarmEvents(db))
    .filter((e) => e.event_type === ALARM_FIRED_EVENT)
    .map((e) => ({
      alarm_id: e.alarm_id,
      kind: e.kind,
      fired_seq: e.seq,
      fired_at: e.occurred_at,
      detail: e.detail,
    }));
}

/** One line naming an open alarm: id, when it fired, where its firing is in the ledger, and why. */
export function describeOpenAlarm(a: OpenAlarmDetail): string {
  return `alarm ${a.alarm_id} open since ${a.fired_at} (${COMPLIANCE_STREAM}#${a.fired_seq})${a.detail ? `: ${a.detail}` : ''}`;
}

export interface AlarmSignalsInput {
  db: Database;
  settings: PostureSettings;
  /** Alarm evaluation time (ISO): the end of the volume window. */
  asOf: string;
  temporal?: Client;
  signingKeyFile?: string;
  keyId?: string;
  /** Failing posture controls (id and detail) of the run that evaluates the alarms. */
  postureFailures: Array<{ id: string; detail: string }>;
}

/** Every alarm condition that holds now. */
export async function alarmConditions(input: AlarmSignalsInput): Promise<AlarmCondition[]> {
  const { db, settings: s, asOf } = input;
  const out: AlarmCondition[] = [];
  out.push(
    ...volumeDropConditions(await streamVolumes(db, asOf, s.volumeWindowMinutes, s.volumeBaselineWindows), s),
  );
  const v = await verificationSignals(db);
  out.push(
    ...verificationConditions(
      { lastFailure: v.lastFailure, lastSuccessAt: v.lastSuccess?.at ?? null },
      asOf,
      s,
    ),
  );
  if (input.temporal) {
    const [retention] = await probeSchedules(input.temporal, [s.retentionSchedule]);
    if (
      retention?.last_run_status &&
      ['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(retention.last_run_status)
    )
      out.push({
        alarm_id: 'purge_failed',
        kind: 'purge_failed',
        severity: 'critical',
        detail: `the last retention purge run ${retention.last_run_status}`,
      });
  }
  const key = await signingKeyCreatedAt(db, { signingKeyFile: input.signingKeyFile, keyId: input.keyId });
  if (key.created_at && daysBetween(key.created_at, asOf) > s.keyRotationDays)
    out.push({
      alarm_id: 'key_age',
      kind: 'key_age',
      severity: 'warning',
      detail: `signing key is ${Math.floor(daysBetween(key.created_at, asOf))} days old (rotate within ${s.keyRotationDays})`,
    });
  // Raised by the scheduled verification; held open here until a later comparison is clean.
  out.push(...witnessConditions(await lastWitnessCheck(db)));
  for (const f of input.postureFailures)
    out.push({ alarm_id: `posture:${f.id}`, kind: 'posture_failed', severity: 'critical', detail: f.detail });
  return out;
}

/** The firings and resolutions the current conditions imply (reads only). */
export async function planAlarms(input: AlarmSignalsInput): Promise<AlarmChange[]> {
  const conditions = await alarmConditions(input);
  const latest = await latestAlarmEvents(input.db);
  const seqOf = new Map(latest.map((e) => [e.alarm_id, e.seq]));
  const open = latest
    .filter((e) => e.event_type === ALARM_FIRED_EVENT)
    .map((e) => ({ alarm_id: e.alarm_id, kind: e.kind, fired_seq: e.seq }));
  return planAlarmChanges(conditions, open, (id) => seqOf.get(id) ?? 0);
}

/** The firings and resolutions `conditions` imply for the alarms of `kinds` only (others left alone). */
export async function planAlarmsOfKinds(
  db: Database,
  conditions: AlarmCondition[],
  kinds: readonly AlarmKind[],
): Promise<AlarmChange[]> {
  const latest = await latestAlarmEvents(db);
  const seqOf = new Map(latest.map((e) => [e.alarm_id, e.seq]));
  const open = latest
    .filter((e) => e.event_type === ALARM_FIRED_EVENT && kinds.includes(e.kind))
    .map((e) => ({ alarm_id: e.alarm_id, kind: e.kind, fired_seq: e.seq }));
  return planAlarmChanges(conditions, open, (id) => seqOf.get(id) ?? 0);
}

/** What the webhook receives for one firing or resolution (identified by its ledger event). */
export interface AlarmDelivery {
  delivery_id: string;
  alarm_id: string;
  kind: AlarmKind;
  state: 'fired' | 'resolved';
  severity: 'warning' | 'critical' | null;
  detail: string | null;
  ledger: { stream: string; seq: number; event_id: string };
  occurred_at: string;
}

/**
 * Records one firing or resolution as a `compliance` event. The idempotency key is the alarm id,
 * the state and the alarm's previous event, so a retry or a concurrent evaluator writes it once.
 */
export async function recordAlarmChange(
  ledger: Ledger,
  change: AlarmChange,
  opts: { actor: { type: 'workflow' | 'user'; id: string }; context?: EventContext },
): Promise<AlarmDelivery> {
  const fired = change.state === 'fired';
  const alarmId = fired ? change.condition.alarm_id : change.alarm_id;
  const kind = fired ? change.condition.kind : change.kind;
  const r = await ledger.append(
    {
      event_type: fired ? ALARM_FIRED_EVENT : ALARM_RESOLVED_EVENT,
      actor: opts.actor,
      resource: { type: 'alarm', id: alarmId },
      action: fired ? 'fire' : 'resolve',
      outcome: fired ? 'error' : 'success',
      context: opts.context ?? {},
      payload: fired
        ? { kind, severity: change.condition.severity, detail: change.condition.detail }
        : { kind, fired_seq: change.fired_seq },
    },
    {
      stream: COMPLIANCE_STREAM,
      idempotencyKey: `alarm:${alarmId}:${change.state}:after:${change.after_seq}`,
    },
  );
  return {
    delivery_id: r.eventId,
    alarm_id: alarmId,
    kind,
    state: change.state,
    severity: fired ? change.condition.severity : null,
    detail: fired ? change.condition.detail : null,
    ledger: { stream: r.stream, seq: r.seq, event_id: r.eventId },
    occurred_at: r.occurredAt,
  };
}
