import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { PROVENANCE_STREAM } from '../../core/loan';
import { workflowHistories } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import { historyToJSON } from './history-json';
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
 * Archives one closed workflow run: its full history as replayable JSON (historyToJSON, ending
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
  const { ledger, client } = deps;
  const { workflowId, runId, source } = input;
  const db = ledger.db;
  const handle = client.workflow.getHandle(workflowId, runId);
  const desc = await handle.describe();
  if (desc.status.name === 'RUNNING')
    throw new WorkflowNotClosedError(`workflow ${workflowId} (run ${desc.runId}) is still running`);
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const last = events[events.length - 1];
  if (!last || !CLOSE_EVENTS.some((k) => last[k]))
    throw new Error(`history of ${workflowId} does not end with a close event`);
  const json = historyToJSON(history);
  const digest = createHash('sha256').update(json).digest('hex');

  const [existing] = await db
    .select({ digest: workflowHistories.digestSha256, seq: workflowHistories.ledgerSeq })
    .from(workflowHistories)
    .where(and(eq(workflowHistories.workflowId, workflowId), eq(workflowHistories.runId, desc.runId)));
  if (existing) {
    if (existing.digest !== digest)
      throw new Error(`run ${workflowId}/${desc.runId} was archived with a different digest`);
    return {
      workflowId,
      runId: desc.runId,
      digest,
      eventCount: events.length,
      ledgerSeq: existing.seq ?? 0,
      created: false,
    };
  }
  // The archived run acts for the principal whose start of it is on record, if any.
  const initiator = await authorizedInitiator(db, workflowId, desc.type);
  if (!initiator && input.requireInitiator)
    throw new NoAuthorizedStartError(
      `workflow ${workflowId} has no authorized start on record; not archived`,
    );
  // Seal first (idempotent key), then store: a crash in between is repaired by the next attempt.
  const sealed = await ledger.append(
    {
      event_type: 'workflow.history_archived',
      actor: { type: 'service', id: 'ledgerflow-history-archiver' },
      resource: { type: 'workflow_history', id: `sha256:${digest}` },
      action: 'archive',
      outcome: 'success',
      case_id: workflowId,
      context: {
        workflow_id: workflowId,
        run_id: desc.runId,
        workflow_type: desc.type,
        step: 'history.archived',
        ...(initiator ? { initiated_by: initiator } : {}),
        request: { source },
      },
      payload: {
        digest_sha256: digest,
        event_count: events.length,
        bytes: Buffer.byteLength(json),
        status: desc.status.name,
        close_time: desc.closeTime?.toISOString() ?? null,
        format: 'temporal-history-json (historyToJSON)',
      },
    },
    { stream: PROVENANCE_STREAM, idempotencyKey: `history-archive:${workflowId}:${desc.runId}` },
  );
  await db
    .insert(workflowHistories)
    .values({
      workflowId,
      runId: desc.runId,
      workflowType: desc.type,
      status: desc.status.name,
      closedAt: desc.closeTime ?? null,
      eventCount: events.length,
      history: json,
      digestSha256: digest,
      ledgerStream: PROVENANCE_STREAM,
      ledgerSeq: sealed.seq,
    })
    .onConflictDoNothing();
  return {
    workflowId,
    runId: desc.runId,
    digest,
    eventCount: events.length,
    ledgerSeq: sealed.seq,
    created: true,
  };
}
