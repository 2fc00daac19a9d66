import { stat } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { StreamVolume } from '../../core/posture/alarms';
import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { Database } from '../../db/client';
import { WITNESS_CHECKED_EVENT } from '../../core/witness';

/** Live signals read by the controls and the alarms (database, key file, Temporal). */

const iso = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export const VERIFICATION_SQL = `SELECT e.event_type, e.seq, ${iso('e.occurred_at')} AS at FROM ledger_events e
 WHERE e.stream = '${COMPLIANCE_STREAM}' AND e.seq = (SELECT max(seq) FROM ledger_events x
   WHERE x.stream = '${COMPLIANCE_STREAM}' AND x.event_type = e.event_type)
   AND e.event_type IN ('ledger.verification_completed', 'ledger.verification_failed')`;

export interface VerificationSignals {
  lastSuccess: { seq: number; at: string } | null;
  lastFailure: { seq: number; at: string } | null;
}

/** The latest successful and the latest failed chain verification recorded in the ledger. */
export async function verificationSignals(db: Database): Promise<VerificationSignals> {
  const r = await db.$client.query<{ event_type: string; seq: string; at: string }>(VERIFICATION_SQL);
  const pick = (t: string) => {
    const row = r.rows.find((x) => x.event_type === t);
    return row ? { seq: Number(row.seq), at: row.at } : null;
  };
  return {
    lastSuccess: pick('ledger.verification_completed'),
    lastFailure: pick('ledger.verification_failed'),
  };
}

/** The signing key's age source: the key file's mtime, else when the ledger first registered the key. */
export async function signingKeyCreatedAt(
  db: Database,
  key: { signingKeyFile?: string; keyId?: string },
): Promise<{ source: string; created_at: string | null }> {
  if (key.signingKeyFile) {
    try {
      const s = await stat(key.signingKeyFile);
      return { source: `mtime of ${key.signingKeyFile}`, created_at: s.mtime.toISOString() };
    } catch {
      return { source: `mtime of ${key.signingKeyFile} (file missing)`, created_at: null };
    }
  }
  if (!key.keyId) return { source: 'no signing key configured', created_at: null };
  const r = await db.$client.query<{ at: string }>(
    `SELECT ${iso('created_at')} AS at FROM ledger_signing_keys WHERE key_id = $1`,
    [key.keyId],
  );
  return { source: `ledger_signing_keys.created_at of ${key.keyId}`, created_at: r.rows[0]?.at ?? null };
}

/** Events per stream in the window ending at `asOf` and in the baseline windows before it. */
export async function streamVolumes(
  db: Database,
  asOf: string,
  windowMinutes: number,
  baselineWindows: number,
): Promise<StreamVolume[]> {
  const r = await db.$client.query<{ stream: string; recent: number; baseline: number }>(
    `SELECT stream,
            count(*) FILTER (WHERE occurred_at > $1::timestamptz - make_interval(mins => $2::int))::int AS recent,
            count(*) FILTER (WHERE occurred_at <= $1::timestamptz - make_interval(mins => $2::int))::int AS baseline
       FROM ledger_events
      WHERE occurred_at > $1::timestamptz - make_interval(mins => $2::int * ($3::int + 1)) AND occurred_at <= $1::timestamptz
      GROUP BY stream ORDER BY stream`,
    [asOf, Math.round(windowMinutes), baselineWindows],
  );
  return r.rows;
}

export type ScheduleProbe = {
  schedule_id: string;
  installed: boolean;
  paused: boolean;
  last_run_status: string | null;
};

/** Whether each schedule exists, is paused, and how its latest run ended (as `schedules list` reads it). */
export async function probeSchedules(client: Client, ids: string[]): Promise<ScheduleProbe[]> {
  const out: ScheduleProbe[] = [];
  for (const id of ids) {
    try {
      const d = await client.schedule.getHandle(id).describe();
      const last = d.info.recentActions.at(-1);
      const status = last
        ? await client.workflow
            .getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId)
            .describe()
            .then(
              (w) => w.status.name as string,
              () => 'UNKNOWN',
            )
        : null;
      out.push({ schedule_id: id, installed: true, paused: d.state.paused, last_run_status: status });
    } catch (err) {
      // By name: the SDK's classes stay unloaded until a client connects (CLI start-up).
      if ((err as Error).name !== 'ScheduleNotFoundError') throw err;
      out.push({ schedule_id: id, installed: false, paused: false, last_run_status: null });
    }
  }
  return out;
}

/** The latest witness comparison recorded in the ledger by the scheduled verification, or null. */
export async function lastWitnessCheck(
  db: Database,
): Promise<{ status: string; detail: string; seq: number; at: string } | null> {
  const r = await db.$client.query<{ status: string | null; detail: string | null; seq: string; at: string }>(
    `SELECT p.payload->>'status' AS status, p.payload->>'detail' AS detail, e.seq,
            to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at
       FROM ledger_events e LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
      WHERE e.stream = $1 AND e.event_type = $2 ORDER BY e.seq DESC LIMIT 1`,
    [COMPLIANCE_STREAM, WITNESS_CHECKED_EVENT],
  );
  const row = r.rows[0];
  return row
    ? { status: row.status ?? 'unknown', detail: row.detail ?? '', seq: Number(row.seq), at: row.at }
    : null;
}
