import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  RetentionFailure,
  RetentionPurgeInputSchema,
  type RetentionPurgeInput,
  type RetentionPurgeWorkflow,
} from '../contracts/retention';
import {
  ChainVerificationInputSchema,
  VerificationFailure,
  type ChainVerificationInput,
  type ChainVerificationWorkflow,
} from '../contracts/verification';
import { validateInput } from './validate-input';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' };

const { retentionPlan, retentionIssueCertificate } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '5 minutes',
  retry,
});

/** Batches: short heartbeat timeout so a crashed worker's batch is retried (resumed) quickly. */
const { retentionPurgeClass } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '5 seconds',
  retry,
});

const { verifyLedgerChain, recordVerification } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry,
});

/** Most batch activities per workflow run before the run continues as new (bounded history). */
const MAX_ROUNDS = 2000;

/**
 * Retention purge: computes what is expired as of `asOf` (default: this run's start), skips held
 * items, purges each data class in idempotent, heartbeating batch activities (a crash resumes
 * from the last cursor; re-running purges nothing twice) and ends with a signed purge
 * certificate in the ledger. `dryRun` only reports the plan.
 */
export const retentionPurge: RetentionPurgeWorkflow = async (rawInput: RetentionPurgeInput = {}) => {
  const input = validateInput(RetentionPurgeInputSchema, rawInput);
  const info = workflowInfo();
  const asOf = input.asOf ? new Date(input.asOf).toISOString() : info.runStartTime.toISOString();
  const purgeRunId = input.purgeRunId ?? info.workflowId;
  const preview = await retentionPlan({ asOf, dataClasses: input.dataClasses });
  if (input.dryRun) return { purgeRunId, asOf, dryRun: true, preview, purged: {} };
  const purged: Record<string, number> = {};
  let rounds = 0;
  for (const p of preview) {
    let cursor: unknown = null;
    purged[p.data_class] = 0;
    for (;;) {
      if (++rounds > MAX_ROUNDS) {
        throw ApplicationFailure.create({
          type: RetentionFailure.TooManyRounds,
          message: 'purge did not finish within the round limit',
        });
      }
      const r = await retentionPurgeClass({
        purgeRunId,
        dataClass: p.data_class,
        asOf,
        batchSize: input.batchSize,
        cursor,
      });
      purged[p.data_class] = (purged[p.data_class] ?? 0) + r.purged;
      cursor = r.cursor;
      if (r.done) break;
    }
  }
  const cert = await retentionIssueCertificate({
    purgeRunId,
    asOf,
    requestedBy: input.requestedBy,
    dataClasses: preview.map((p) => p.data_class),
  });
  return {
    purgeRunId,
    asOf,
    dryRun: false,
    preview,
    purged,
    certificate: { stream: cert.stream, seq: cert.seq, keyId: cert.keyId },
  };
};

/**
 * Chain verification, incremental from the last verified checkpoint. Records the result in the
 * ledger; on failure raises an alert event and fails the run (non-retryable), so the schedule's
 * last action shows a failed status in `schedules list` and `doctor`.
 */
export const chainVerification: ChainVerificationWorkflow = async (rawInput: ChainVerificationInput = {}) => {
  const input = validateInput(ChainVerificationInputSchema, rawInput);
  const result = await verifyLedgerChain({ streams: input.streams, full: input.full });
  const rec = await recordVerification({ result, requestedBy: input.requestedBy });
  if (!result.ok) {
    const bad = result.streams.find((s) => !s.valid);
    throw ApplicationFailure.create({
      type: VerificationFailure.ChainVerificationFailed,
      message: `ledger verification failed: stream ${bad?.stream}: ${bad?.detail} (alert at compliance#${rec.alert?.seq})`,
      nonRetryable: true,
    });
  }
  return {
    ok: result.ok,
    streams: result.streams,
    eventsChecked: result.eventsChecked,
    recorded: rec.recorded,
    alert: rec.alert,
  };
};
