import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { Database } from '../../db/client';
import { buildTimeline, type Timeline, type TimelineEntry } from '../archive/timeline';
import { getAlert } from '../monitoring';
import { EventNotFoundError } from './proof';
import { EVENT_COLUMNS } from './search-sql';
import { toEventView, type EventRow, type EventView } from './search';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ledger events matching one SQL condition on `e`, in (occurred_at, stream, seq) order, at most 1,000. */
async function eventsWhere(db: Database, cond: string, values: unknown[]): Promise<EventView[]> {
  const r = await db.$client.query<EventRow>(
    `SELECT ${EVENT_COLUMNS}, p.payload, (pp.seq IS NOT NULL) AS purged
       FROM ledger_events e
       LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
       LEFT JOIN LATERAL ledger_payload_purge_of(e.stream, e.seq) pp ON true
      WHERE ${cond}
      ORDER BY e.occurred_at, e.stream, e.seq LIMIT 1000`,
    values,
  );
  return r.rows.map(toEventView);
}

/** A screening result with its hits, their explanations, the lists and thresholds used, and its ledger trace. */
export async function explainScreening(db: Database, id: string) {
  if (!UUID.test(id)) throw new EventNotFoundError(`no screening result ${id}`);
  const r = await db.$client.query(
    `SELECT id, batch_id, row_number, subject_id, query, decision, top_score, hits, list_versions,
            matcher_version, thresholds, screened_at, ledger_seq
       FROM screening_results WHERE id = $1`,
    [id],
  );
  const result = r.rows[0];
  if (!result) throw new EventNotFoundError(`no screening result ${id}`);
  const trace = await eventsWhere(db, 'e.resource_id = $1', [id]);
  return { result, trace };
}

/** A monitoring alert with its rule trace (as stored) and every ledger event about it. */
export async function explainAlert(db: Database, id: string) {
  const alert = await getAlert(db, id);
  if (!alert) throw new EventNotFoundError(`no alert ${id}`);
  const trace = await eventsWhere(db, 'e.resource_id = $1', [id]);
  return { alert, trace };
}

/**
 * A case's provenance: its ledger events and the joined timeline (Temporal history + ledger) of
 * every workflow they name, as `ledgerflow history show` prints each.
 */
export async function caseProvenance(
  deps: { db: Database; client?: Client },
  caseId: string,
): Promise<{ case_id: string; events: EventView[]; workflows: Timeline[] }> {
  const events = await eventsWhere(deps.db, 'e.case_id = $1', [caseId]);
  if (events.length === 0) throw new EventNotFoundError(`no events for case ${caseId}`);
  const ids = [
    ...new Set(events.map((e) => e.context.workflow_id).filter((w): w is string => typeof w === 'string')),
  ];
  const workflows: Timeline[] = [];
  for (const id of ids.slice(0, 20)) {
    const t = await workflowProvenance(deps, id).catch((err: unknown) => {
      if (err instanceof EventNotFoundError) return null;
      throw err;
    });
    if (t) workflows.push(t);
  }
  return { case_id: caseId, events, workflows };
}

/** A workflow's joined timeline; EventNotFoundError when neither Temporal nor the archive has it. */
export async function workflowProvenance(
  deps: { db: Database; client?: Client },
  workflowId: string,
): Promise<Timeline> {
  try {
    return await buildTimeline(deps, workflowId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new EventNotFoundError(`no workflow ${workflowId} in Temporal or in the archive`);
    throw err;
  }
}

export type { TimelineEntry };

/** Verification runs recorded in the ledger, newest first, and the latest one's status. */
export async function verificationRuns(db: Database, opts: { limit: number; beforeSeq?: number }) {
  const values: unknown[] = [COMPLIANCE_STREAM];
  let cond = `e.stream = $1 AND e.event_type IN ('ledger.verification_completed', 'ledger.verification_failed')`;
  if (opts.beforeSeq) {
    values.push(opts.beforeSeq);
    cond += ` AND e.seq < $2`;
  }
  values.push(opts.limit + 1);
  const r = await db.$client.query<EventRow>(
    `SELECT ${EVENT_COLUMNS}, p.payload, (pp.seq IS NOT NULL) AS purged
       FROM ledger_events e
       LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
       LEFT JOIN LATERAL ledger_payload_purge_of(e.stream, e.seq) pp ON true
      WHERE ${cond} ORDER BY e.seq DESC LIMIT $${values.length}`,
    values,
  );
  const runs = r.rows.slice(0, opts.limit).map((row) => {
    const e = toEventView(row);
    const p = (e.payload ?? {}) as {
      ok?: boolean;
      events_checked?: number;
      mode?: string;
      detail?: string | null;
      requested_by?: string;
    };
    return {
      at: e.occurred_at,
      ok: e.outcome === 'success',
      events_checked: p.events_checked ?? null,
      mode: p.mode ?? null,
      detail: p.detail ?? null,
      requested_by: p.requested_by ?? null,
      workflow_id: typeof e.context.workflow_id === 'string' ? e.context.workflow_id : null,
      event: { stream: e.stream, seq: e.seq },
      streams: (e.payload as { streams?: unknown } | null)?.streams ?? null,
    };
  });
  const latest = runs[0] ?? null;
  return {
    status: latest ? { ok: latest.ok, at: latest.at, detail: latest.detail } : null,
    runs,
    next_before_seq: r.rows.length > opts.limit ? (runs.at(-1)?.event.seq ?? null) : null,
  };
}
