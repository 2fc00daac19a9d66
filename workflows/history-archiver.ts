import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ArchiveWorkflowHistoryWorkflow } from '../contracts/history-archiver';

const { archiveClosedWorkflow } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  // Retries until the archived run has closed (it usually closes within milliseconds).
  retry: {
    initialInterval: '250 milliseconds',
    backoffCoefficient: 1.5,
    maximumInterval: '10 seconds',
    maximumAttempts: 60,
  },
});

/**
 * Archives the history of another (closed) workflow run into PostgreSQL and seals its digest
 * into the ledger. Started by loanOrigination as an abandoned child just before it closes.
 */
export const archiveWorkflowHistory: ArchiveWorkflowHistoryWorkflow = async (input) => {
  const r = await archiveClosedWorkflow(input);
  return { digest: r.digest, ledgerSeq: r.ledgerSeq };
};
