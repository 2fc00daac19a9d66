import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type {
  BatchSummary,
  RescreenSummary,
  ScreeningWorkflowActivities,
} from '../activities/screening-temporal';
import type { LoadListResult } from '../activities/screening';

/** Long batch: heartbeats per chunk; a lost worker is noticed within the heartbeat timeout and the retry resumes from the last heartbeat. */
const batch = proxyActivities<ScreeningWorkflowActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['InputError'],
  },
});

/** List downloads retry inside the activity (HTTP back-off); the activity itself is retried a few times. */
const lists = proxyActivities<ScreeningWorkflowActivities>({
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: ['InputError'],
  },
});

export interface ScreeningBatchInput {
  file: string;
  column?: string;
  chunkSize?: number;
  outDir?: string;
}

/** Screens a customer file in chunks (resumable); the batch id is the workflow id. */
export async function screeningBatch(input: ScreeningBatchInput): Promise<BatchSummary> {
  return batch.screeningBatch({ ...input, batchId: workflowInfo().workflowId });
}

export interface ListUpdateInput {
  source: string;
  url?: string;
  path?: string;
  confirm?: boolean;
}

export interface ListUpdateResult {
  load: LoadListResult;
  rescreen?: RescreenSummary;
}

/**
 * Loads a new list version; when one was activated, re-screens the known customers against
 * only the entries that were added or changed. A failed download keeps the last good version
 * (and raises an alert) without re-screening.
 */
export async function screeningListUpdate(input: ListUpdateInput): Promise<ListUpdateResult> {
  const load = await lists.screeningLoadList(input);
  if (load.status !== 'loaded' || !load.version) return { load };
  const rescreen = await batch.screeningRescreenChanged({
    source: input.source,
    toVersionId: load.version.id,
    fromVersionId: load.previousVersionId,
  });
  return { load, rescreen };
}
