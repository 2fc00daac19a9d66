import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  ListUpdateInputSchema,
  ScreeningBatchInputSchema,
  ScreeningFailure,
  type ScreeningActivities,
  type ScreeningBatchWorkflow,
  type ScreeningListUpdateWorkflow,
} from '../contracts/screening';
import { validateInput } from './validate-input';

/** Long batch: heartbeats per chunk; a lost worker is noticed within the heartbeat timeout and the retry resumes from the last heartbeat. */
const batch = proxyActivities<ScreeningActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [ScreeningFailure.InputError],
  },
});

/** List downloads retry inside the activity (HTTP back-off); the activity itself is retried a few times. */
const lists = proxyActivities<ScreeningActivities>({
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [ScreeningFailure.InputError],
  },
});

/** Screens a customer file in chunks (resumable); the batch id is the workflow id. */
export const screeningBatch: ScreeningBatchWorkflow = async (raw) => {
  const input = validateInput(ScreeningBatchInputSchema, raw);
  return batch.screeningBatch({ ...input, batchId: workflowInfo().workflowId });
};

/**
 * Loads a new list version; when one was activated, re-screens the known customers against
 * only the entries that were added or changed. A failed download keeps the last good version
 * (and raises an alert) without re-screening.
 */
export const screeningListUpdate: ScreeningListUpdateWorkflow = async (raw) => {
  const input = validateInput(ListUpdateInputSchema, raw);
  const load = await lists.screeningLoadList(input);
  if (load.status !== 'loaded' || !load.version) return { load };
  const rescreen = await batch.screeningRescreenChanged({
    source: input.source,
    toVersionId: load.version.id,
    fromVersionId: load.previousVersionId,
  });
  return { load, rescreen };
};
