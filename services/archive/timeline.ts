import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { desc, eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { workflowHistories } from '../../db/schema';
import { historyFromJSON } from './history-json';
import { workflowIdIs } from '../../ledger/workflow-id-sql';

export interface LoadedHistory {
  workflowId: string;
  runId?: string;
  history: History;
  /** Where it came from: Temporal (running or within retention), the archive table, or a file. */
  origin: 'temporal' | 'archive' | 'file';
  archived?: { digest: string; ledgerStream: string | null; ledgerSeq: number | null };
}

/**
 * A workflow's history by id: from Temporal (running or within retention), else from the
 * `workflow_histories` archive (latest archived run). Never reads files (the API serves this).
 */
export async function loadStoredHistory(
  deps: { db: Database; client?: Client },
  target: string,
): Promise<LoadedHistory> {
  const [archived] = await deps.db
    .select()
    .from(workflowHistories)
    .where(eq(workflowHistories.workflowId, target))
    .orderBy(desc(workflowHistories.closedAt))
    .limit(1);
  const archiveInfo = archived
    ? { digest: archived.digestSha256, ledgerStream: archived.ledgerStream, ledgerSeq: archived.ledgerSeq }
    : undefined;
  if (deps.client) {
    try {
      const handle = deps.client.workflow.getHandle(target);
      const d = await handle.describe();
      return {
        workflowId: target,
        runId: d.runId,
        history: await handle.fetchHistory(),
        origin: 'temporal',
        archived: archiveInfo,
      };
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  if (!archived)
    throw new WorkflowNotFoundError(
      `no workflow "${target}" in Temporal or in the archive`,
      target,
      undefined,
    );
  return {
    workflowId: target,
    runId: archived.runId,
    history: historyFromJSON(archived.history),
    origin: 'archive',
    archived: archiveInfo,
  };
}

/** A workflow's joined timeline, as `ledgerflow history show` prints it. */
export interface Timeline {
  workflowId: string;
  runId?: string;
  origin: LoadedHistory['origin'];
  archived?: LoadedHistory['archived'];
  entries: TimelineEntry[];
}

export interface TimelineEntry {
  at: string;
  source: 'temporal' | 'ledger';
  /** Temporal event id (`#12`) or ledger position (`loan:42`). */
  ref: string;
  type: string;
  detail: string;
  /** The other side: for ledger events the Temporal event that scheduled the activity; for Temporal events, ledger refs. */
  links: string[];
}

/** Protobuf timestamp to ISO (seconds may be a Long, from either protobufjs copy, or a number). */
function tsToIso(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): string {
  if (!ts) return '';
  const s = ts.seconds as { toNumber?: () => number } | number | string | null | undefined;
  const seconds =
    typeof s === 'object' && s !== null && typeof s.toNumber === 'function' ? s.toNumber() : Number(s ?? 0);
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

const eventTypeName = (n: number | null | undefined) =>
  (temporal.api.enums.v1.EventType[n ?? 0] ?? 'UNKNOWN')
    .replace(/^EVENT_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());

function describeEvent(e: temporal.api.history.v1.IHistoryEvent): string {
  const a = e.activityTaskScheduledEventAttributes;
  if (a) return `${a.activityType?.name} (activity ${a.activityId})`;
  if (e.activityTaskStartedEventAttributes) return `attempt ${e.activityTaskStartedEventAttributes.attempt}`;
  if (e.workflowExecutionStartedEventAttributes)
    return `${e.workflowExecutionStartedEventAttributes.workflowType?.name}`;
  if (e.timerStartedEventAttributes) return `timer ${e.timerStartedEventAttributes.timerId}`;
  if (e.workflowExecutionUpdateAcceptedEventAttributes)
    return `update ${e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name}`;
  if (e.startChildWorkflowExecutionInitiatedEventAttributes)
    return `child ${e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType?.name}`;
  if (e.activityTaskFailedEventAttributes)
    return `${e.activityTaskFailedEventAttributes.failure?.message ?? ''}`.slice(0, 80);
  if (e.workflowExecutionFailedEventAttributes)
    return `${e.workflowExecutionFailedEventAttributes.failure?.message ?? ''}`.slice(0, 80);
  return '';
}

/**
 * One timeline of a workflow: its Temporal history events (live or archived) and the ledger
 * events whose context names it, in time order, cross-linked by run id + activity id.
 */
export async function buildTimeline(
  deps: { db: Database; client?: Client },
  workflowId: string,
  load: typeof loadStoredHistory = loadStoredHistory,
): Promise<Timeline> {
  const loaded = await load(deps, workflowId);
  const events = loaded.history.events ?? [];
  const scheduledByActivity = new Map<string, number>();
  const temporalEntries: TimelineEntry[] = events.map((e) => {
    const id = Number(e.eventId);
    const activityId = e.activityTaskScheduledEventAttributes?.activityId;
    if (activityId) scheduledByActivity.set(activityId, id);
    return {
      at: tsToIso(e.eventTime),
      source: 'temporal',
      ref: `#${id}`,
      type: eventTypeName(e.eventType),
      detail: describeEvent(e),
      links: [],
    };
  });
  const rows = await deps.db.$client.query<{
    stream: string;
    seq: number;
    event_type: string;
    occurred_at: Date;
    actor_type: string;
    actor_id: string;
    outcome: string;
    context: { run_id?: string; activity_id?: string; step?: string; attempt?: number };
  }>(
    `SELECT stream, seq, event_type, occurred_at, actor_type, actor_id, outcome, context
       FROM ledger_events WHERE ${workflowIdIs('context', '$1')} ORDER BY occurred_at, stream, seq`,
    [workflowId],
  );
  const ledgerEntries: TimelineEntry[] = rows.rows
    .filter((r) => !loaded.runId || !r.context.run_id || r.context.run_id === loaded.runId)
    .map((r) => {
      const ref = `${r.stream}:${r.seq}`;
      const scheduled = r.context.activity_id ? scheduledByActivity.get(r.context.activity_id) : undefined;
      const links: string[] = [];
      if (scheduled !== undefined) {
        links.push(`#${scheduled}`);
        temporalEntries[scheduled - 1]?.links.push(ref);
      }
      const ctx = [
        r.context.step,
        r.context.attempt && r.context.attempt > 1 ? `attempt ${r.context.attempt}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return {
        at: r.occurred_at.toISOString(),
        source: 'ledger',
        ref,
        type: r.event_type,
        detail: `${r.actor_type}:${r.actor_id} ${r.outcome}${ctx ? ` (${ctx})` : ''}`,
        links,
      };
    });
  // Stable sort: same-instant Temporal events keep their event-id order, and come before ledger events.
  const rank = (e: TimelineEntry) => (e.source === 'temporal' ? 0 : 1);
  const entries = [...temporalEntries, ...ledgerEntries].sort(
    (a, b) => a.at.localeCompare(b.at) || rank(a) - rank(b),
  );
  return { workflowId, runId: loaded.runId, origin: loaded.origin, archived: loaded.archived, entries };
}
