import { ApplicationFailure, Context } from '@temporalio/activity';
import { HistoryArchiveFailure } from '../contracts/history-archiver';
import type { Ledger } from '../ledger/ledger';
import { UNAUTHORIZED_START } from './initiator';
import {
  NoAuthorizedStartError,
  WorkflowNotClosedError,
  archiveClosedRuns,
  archiveWorkflowRun,
  type ArchiveResult,
  type BatchArchiveResult,
  type RunRef,
} from '../services/archive/archive-run';
import { archiveClosedRunsWorkflow, runClosingSignal } from '../contracts/history-archiver';
import { batchArchiverWorkflowId } from '../core/loan';

/**
 * Names the running activity's workflow run to the batch archiver of its task queue (started if
 * not running), which archives the run's history once it has closed. Call from the run's last
 * activity; a retried call names it again (the archiver keeps each run once).
 */
export async function requestHistoryArchive(): Promise<void> {
  const { info, client } = Context.current();
  const run = info.workflowExecution;
  if (!run) throw new Error('a history archive is requested from a workflow activity');
  await client.workflow.signalWithStart(archiveClosedRunsWorkflow.name, {
    workflowId: batchArchiverWorkflowId(info.taskQueue),
    taskQueue: info.taskQueue,
    args: [{ pending: [] }],
    signal: runClosingSignal,
    signalArgs: [{ workflowId: run.workflowId, runId: run.runId }],
  });
}

/** Activities of the `archiveWorkflowHistory` workflow. */
export function createHistoryArchiveActivities({ ledger }: { ledger: Ledger }) {
  return {
    /**
     * Archives the closed runs of a batch (`archiveClosedRuns`); returns those still open. Runs
     * that do not exist or have no authorized start on record are refused (nothing written).
     */
    async archiveClosedRunBatch(input: { runs: RunRef[] }): Promise<BatchArchiveResult> {
      return archiveClosedRuns({ ledger, client: Context.current().client }, input.runs);
    },
    /**
     * Archives a closed run; a run still open fails retryably, so the activity waits by retrying.
     * A run without an authorized start on record is refused (nothing written).
     */
    async archiveClosedWorkflow(input: { workflowId: string; runId: string }): Promise<ArchiveResult> {
      try {
        return await archiveWorkflowRun(
          { ledger, client: Context.current().client },
          { workflowId: input.workflowId, runId: input.runId, source: 'worker', requireInitiator: true },
        );
      } catch (err) {
        if (err instanceof WorkflowNotClosedError)
          throw ApplicationFailure.create({
            type: HistoryArchiveFailure.WorkflowNotClosed,
            message: err.message,
          });
        if (err instanceof NoAuthorizedStartError)
          throw ApplicationFailure.create({
            type: UNAUTHORIZED_START,
            message: err.message,
            nonRetryable: true,
          });
        throw err;
      }
    },
  };
}
