import { continueAsNew, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import {
  ListUpdateInputSchema,
  ScreeningBatchInputSchema,
  ScreeningFailure,
  screeningBatchProgressQuery,
  type BatchProgress,
  type ScreeningActivities,
  type ScreeningBatchWorkflow,
  type ScreeningListUpdateWorkflow,
} from '../contracts/screening';
import { validateInput } from './validate-input';

/**
 * The single two-hour batch activity of runs recorded before chunk activities (kept for them),
 * and the re-screening of a list update: heartbeats; a lost worker is noticed within the
 * heartbeat timeout and the retry resumes from the last heartbeat.
 */
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

/**
 * One retry layer for downloads: the HTTP back-off inside the activity (it honours Retry-After
 * and ETags). A download that still fails is a `download_failed` result with an alert, never an
 * activity failure, so this policy never re-downloads; it covers a lost worker or database.
 */
const lists = proxyActivities<ScreeningActivities>({
  startToCloseTimeout: '10 minutes',
  retry: {
    initialInterval: '5 seconds',
    backoffCoefficient: 2,
    maximumAttempts: 3,
    nonRetryableErrorTypes: [ScreeningFailure.InputError],
  },
});

/** One chunk per activity: short, retried as a whole (a chunk is idempotent per batch id and row). */
const chunks = proxyActivities<ScreeningActivities>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: [ScreeningFailure.InputError],
  },
});

/** Patch: the batch is a loop of chunk activities in the workflow instead of one long activity. */
export const SCREENING_CHUNKS_PATCH = 'screening-batch-chunks';

/** Chunk activities per run unless the input says otherwise; then the run continues as new. */
const DEFAULT_CHUNKS_PER_RUN = 500;

/**
 * Screens a customer file chunk by chunk; the batch id is the workflow id. The progress (the next
 * offset is the resume point) lives in the workflow state, answers the `screeningBatchProgress`
 * query, and is carried over when the run continues as new.
 */
export const screeningBatch: ScreeningBatchWorkflow = async (raw) => {
  const input = validateInput(ScreeningBatchInputSchema, raw);
  const batchId = workflowInfo().workflowId;
  const progress: BatchProgress = input.resume ?? {
    offset: 0,
    screened: 0,
    rejected: 0,
    chunks: 0,
    generation: 1,
  };
  setHandler(screeningBatchProgressQuery, () => progress);
  if (!input.resume && !patched(SCREENING_CHUNKS_PATCH)) {
    const { resume: _resume, chunksPerRun: _chunksPerRun, ...legacy } = input;
    return batch.screeningBatch({ ...legacy, batchId });
  }
  const { file, column, outDir } = input;
  let ranThisRun = 0;
  while (progress.total === undefined || progress.offset < progress.total) {
    if (
      ranThisRun >= (input.chunksPerRun ?? DEFAULT_CHUNKS_PER_RUN) ||
      workflowInfo().continueAsNewSuggested
    ) {
      return continueAsNew<ScreeningBatchWorkflow>({
        ...input,
        resume: { ...progress, generation: progress.generation + 1 },
      });
    }
    const r = await chunks.screeningBatchChunk({
      batchId,
      file,
      column,
      offset: progress.offset,
      chunkSize: input.chunkSize ?? 200,
    });
    ranThisRun++;
    Object.assign(progress, {
      offset: r.nextOffset,
      total: r.total,
      screened: progress.screened + r.screened,
      rejected: progress.rejected + r.rejected,
      chunks: progress.chunks + 1,
    });
  }
  return chunks.screeningBatchReport({ batchId, file, column, outDir });
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
