import { createHash } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { PROVENANCE_STREAM } from '../../core/loan';
import { workflowHistories } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import { canonicalHistoryJSON, canonicalHistoryText } from './history-json';
import type { History } from '@temporalio/common/lib/proto-utils';
import { authorizedInitiator } from '../principals/workflow-starts';

const CLOSE_EVENTS = [
  'workflowExecutionCompletedEventAttributes',
  'workflowExecutionFailedEventAttributes',
  'workflowExecutionTimedOutEventAttributes',
  'workflowExecutionCanceledEventAttributes',
  'workflowExecutionTerminatedEventAttributes',
  'workflowExecutionContinuedAsNewEventAttributes',
] as const;

export interface ArchiveResult {
  workflowId: string;
  runId: string;
  digest: string;
  eventCount: number;
  ledgerSeq: number;
  /** False when this run was already archived (same digest). */
  created: boolean;
}

/** The run to archive has not closed yet (the activity retries until it has). */
export class WorkflowNotClosedError extends Error {
  readonly code = 'WORKFLOW_NOT_CLOSED';
}

/** The run to archive has no authorized start on record (and the caller requires one). */
export class NoAuthorizedStartError extends Error {
  readonly code = 'NO_AUTHORIZED_START';
}

/** Who archives: recorded as the request source of the ledger event. */
export type ArchiveSource = 'worker' | 'cli' | 'script';

/**
 * Archives one closed workflow run: its full history as replayable JSON (canonicalHistoryJSON, ending
 * with the close event) into `workflow_histories`, and its SHA-256 sealed into the ledger as a
 * `workflow.history_archived` event whose hash-committed resource id is the digest. Idempotent:
 * archiving the same run again returns the first archive.
 */
export async function archiveWorkflowRun(
  deps: { ledger: Ledger; client: Client },
  input: {
    workflowId: string;
    runId?: string;
    source: ArchiveSource;
    /** Refuse (writing nothing) a run whose start is not on record: the worker's archiver does. */
    requireInitiator?: boolean;
  },
): Promise<ArchiveResult> {
  const { workflowId, runId } = input;
  const handle = deps.client.workflow.getHandle(workflowId, runId);
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING')
    throw new WorkflowNotClosedError(`workflow ${workflowId} (run ${desc.runId}) is still running`);
  const run = closedRun(workflowId, desc.runId, await handle.fetchHistory());
  if (!run) throw new Error(`history of ${workflowId} does not end with a close event`);
  return sealAndStore(deps.ledger, run, input);
}

/** A closed run's history and the facts the archive records about it. */
export interface ClosedRun {
  workflowId: string;
  runId: string;
  workflowType: string;
  /** Close status, named as `describe()` names it (COMPLETED, FAILED, …). */
  status: string;
  closeTime: Date | null;
  eventCount: number;
  /** The history as replayable JSON, members in RFC 8785 order (canonicalHistoryJSON). */
  json: string;
}

const STATUS_OF_CLOSE: Record<(typeof CLOSE_EVENTS)[number], string> = {
  workflowExecutionCompletedEventAttributes: 'COMPLETED',
  workflowExecutionFailedEventAttributes: 'FAILED',
  workflowExecutionTimedOutEventAttributes: 'TIMED_OUT',
  workflowExecutionCanceledEventAttributes: 'CANCELLED',
  workflowExecutionTerminatedEventAttributes: 'TERMINATED',
  workflowExecutionContinuedAsNewEventAttributes: 'CONTINUED_AS_NEW',
};

/**
 * The closed run a fetched history describes (status and close time from its close event, type
 * from its start event), or undefined while the run is still open: one history fetch tells both,
 * no `describe()` needed.
 */
export function closedRun(workflowId: string, runId: string, history: History): ClosedRun | undefined {
  const events = history.events ?? [];
  const last = events[events.length - 1];
  const close = last && CLOSE_EVENTS.find((k) => last[k]);
  if (!last || !close) return undefined;
  const t = last.eventTime;
  return {
    workflowId,
    runId,
    workflowType: events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '',
    status: STATUS_OF_CLOSE[close],
    closeTime: t ? new Date(Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)) : null,
    eventCount: events.length,
    json: canonicalHistoryJSON(history),
  };
}

/**
 * Seals a closed run's digest into the provenance stream and stores its history; idempotent
 * (a run archived before returns its first archive, `created: false`).
 */
export async function sealAndStore(
  ledger: Ledger,
  run: ClosedRun,
  opts: { source: ArchiveSource; requireInitiator?: boolean },
): Promise<ArchiveResult> {
  const db = ledger.db;
  const { workflowId, runId, json } = run;
  const digest = createHash('sha256').update(json).digest('hex');
  const [existing] = await db
    .select({
      digest: workflowHistories.digestSha256,
      seq: workflowHistories.ledgerSeq,
      history: workflowHistories.history,
    })
    .from(workflowHistories)
    .where(and(eq(workflowHistories.workflowId, workflowId), eq(workflowHistories.runId, runId)));
  if (existing) {
    // An archive written before histories were canonical holds the same history in another member order.
    if (existing.digest !== digest && canonicalHistoryText(existing.history) !== json)
      throw new Error(`run ${workflowId}/${runId} was archived with a different digest`);
    return {
      workflowId,
      runId,
      digest: existing.digest,
      eventCount: run.eventCount,
      ledgerSeq: existing.seq ?? 0,
      created: false,
    };
  }
  // The archived run acts for the principal whose start of it is on record, if any.
  const initiator = await authorizedInitiator(db, workflowId, run.workflowType);
  if (!initiator && opts.requireInitiator)
    throw new NoAuthorizedStartError(
      `workflow ${workflowId} has no authorized start on record; not archived`,
    );
  // Seal first (idempotent key), then store: a crash in between is repaired by the next attempt.
  const sealed = await ledger.appendOneTrip(
    {
      event_type: 'workflow.history_archived',
      actor: { type: 'service', id: 'ledgerflow-history-archiver' },
      resource: { type: 'workflow_history', id: `sha256:${digest}` },
      action: 'archive',
      outcome: 'success',
      case_id: workflowId,
      context: {
        workflow_id: workflowId,
        run_id: runId,
        workflow_type: run.workflowType,
        step: 'history.archived',
        ...(initiator ? { initiated_by: initiator } : {}),
        request: { source: opts.source },
      },
      payload: {
        digest_sha256: digest,
        event_count: run.eventCount,
        bytes: Buffer.byteLength(json),
        status: run.status,
        close_time: run.closeTime?.toISOString() ?? null,
        format: 'temporal-history-json (historyToJSON, RFC 8785 member order)',
      },
    },
    { stream: PROVENANCE_STREAM, idempotencyKey: `history-archive:${workflowId}:${runId}` },
  );
  await db
    .insert(workflowHistories)
    .values({
      workflowId,
      runId,
      workflowType: run.workflowType,
      status: run.status,
      closedAt: run.closeTime,
      eventCount: run.eventCount,
      history: json,
      digestSha256: digest,
      ledgerStream: PROVENANCE_STREAM,
      ledgerSeq: sealed.seq,
    })
    .onConflictDoNothing();
  return { workflowId, runId, digest, eventCount: run.eventCount, ledgerSeq: sealed.seq, created: true };
}

/** One run named for archiving. */
export interface RunRef {
  workflowId: string;
  runId: string;
}

/** What a batch did with each run it was given. */
export interface BatchArchiveResult {
  archived: Array<RunRef & { digest: string; ledgerSeq: number }>;
  /** Runs not closed yet: to be tried again later. */
  open: RunRef[];
  /** Runs that do not exist, or have no authorized start on record: nothing written, not retried. */
  refused: RunRef[];
}

const BATCH_CONCURRENCY = 8;
/** gRPC status NOT_FOUND: the named run does not exist. */
const GRPC_NOT_FOUND = 5;

/**
 * Archives many runs (the worker's batch archiver): one history fetch per run (a run still open
 * is returned in `open`, untouched), then {@link sealAndStore}. A run that does not exist or has
 * no authorized start on record is refused without failing the others; any other error fails the
 * batch (a retry archives nothing twice).
 */
export async function archiveClosedRuns(
  deps: { ledger: Ledger; client: Client },
  runs: RunRef[],
): Promise<BatchArchiveResult> {
  const out: BatchArchiveResult = { archived: [], open: [], refused: [] };
  const queue = [...runs];
  const one = async (ref: RunRef) => {
    let history: History;
    try {
      history = await deps.client.workflow.getHandle(ref.workflowId, ref.runId).fetchHistory();
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return void out.refused.push(ref);
      throw err;
    }
    const run = closedRun(ref.workflowId, ref.runId, history);
    if (!run) return void out.open.push(ref);
    try {
      const r = await sealAndStore(deps.ledger, run, { source: 'worker', requireInitiator: true });
      out.archived.push({ ...ref, digest: r.digest, ledgerSeq: r.ledgerSeq });
    } catch (err) {
      if (err instanceof NoAuthorizedStartError) return void out.refused.push(ref);
      throw err;
    }
  };
  const lanes = Array.from({ length: Math.min(BATCH_CONCURRENCY, queue.length) }, async () => {
    for (let ref = queue.shift(); ref; ref = queue.shift()) await one(ref);
  });
  await Promise.all(lanes);
  return out;
}
