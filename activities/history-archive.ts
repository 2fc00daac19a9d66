import { ApplicationFailure, Context } from '@temporalio/activity';
import { HistoryArchiveFailure } from '../contracts/history-archiver';
import type { Ledger } from '../ledger/ledger';
import { UNAUTHORIZED_START } from './initiator';
import {
  NoAuthorizedStartError,
  WorkflowNotClosedError,
  archiveWorkflowRun,
  type ArchiveResult,
} from '../services/archive/archive-run';

/** Activities of the `archiveWorkflowHistory` workflow. */
export function createHistoryArchiveActivities({ ledger }: { ledger: Ledger }) {
  return {
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
