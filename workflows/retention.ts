import {
  ApplicationFailure,
  continueAsNew,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  RetentionFailure,
  RetentionPurgeInputSchema,
  type RetentionPurgeInput,
  type RetentionPurgeWorkflow,
} from '../contracts/retention';
import {
  ChainVerificationInputSchema,
  type ChainVerificationResult,
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

const { witnessCheck, alarmRecord } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  retry,
});

/** Webhook deliveries: retried with backoff for about an hour, as in the posture check. */
const { alarmDeliver } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 120 },
});

/** Patch: the verification then publishes to and compares with the external witness (when configured). */
export const VERIFICATION_WITNESS_PATCH = 'verification-witness';

/** Round limit of runs recorded before continue-as-new (they failed with TooManyRounds past it). */
const LEGACY_MAX_ROUNDS = 2000;

/**
 * Patch: the purge continues as new with its cursor (every `roundsPerRun` batch activities, or
 * when Temporal suggests it) instead of failing with TooManyRounds.
 */
export const RETENTION_CONTINUE_AS_NEW_PATCH = 'retention-continue-as-new';

/**
 * Retention purge: computes what is expired as of `asOf` (default: this run's start), skips held
 * items, purges each data class in idempotent, heartbeating batch activities (a crash resumes
 * from the last cursor; re-running purges nothing twice) and ends with a signed purge
 * certificate in the ledger. A long purge continues as new with its cursor, the plan and the
 * counts so far, so its history stays bounded. `dryRun` only reports the plan.
 */
export const retentionPurge: RetentionPurgeWorkflow = async (rawInput: RetentionPurgeInput = {}) => {
  const input = validateInput(RetentionPurgeInputSchema, rawInput);
  const info = workflowInfo();
  const asOf = input.asOf ? new Date(input.asOf).toISOString() : info.runStartTime.toISOString();
  const purgeRunId = input.purgeRunId ?? info.workflowId;
  const preview = input.resume?.preview ?? (await retentionPlan({ asOf, dataClasses: input.dataClasses }));
  if (input.dryRun) return { purgeRunId, asOf, dryRun: true, preview, purged: {} };
  const purged: Record<string, number> = { ...input.resume?.purged };
  let rounds = 0;
  for (let classIndex = input.resume?.classIndex ?? 0; classIndex < preview.length; classIndex++) {
    const p = preview[classIndex]!;
    let cursor: unknown = classIndex === input.resume?.classIndex ? input.resume.cursor : null;
    purged[p.data_class] ??= 0;
    for (;;) {
      if (rounds >= input.roundsPerRun || workflowInfo().continueAsNewSuggested) {
        if (patched(RETENTION_CONTINUE_AS_NEW_PATCH)) {
          return continueAsNew<RetentionPurgeWorkflow>({
            ...rawInput,
            asOf,
            purgeRunId,
            resume: { preview, classIndex, cursor, purged },
          });
        }
        if (rounds >= LEGACY_MAX_ROUNDS) {
          throw ApplicationFailure.create({
            type: RetentionFailure.TooManyRounds,
            message: 'purge did not finish within the round limit',
          });
        }
      }
      rounds++;
      const r = await retentionPurgeClass({
        purgeRunId,
        dataClass: p.data_class,
        asOf,
        batchSize: input.batchSize,
        cursor,
        ...(input.batchesPerRound ? { maxBatches: input.batchesPerRound } : {}),
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
  let witness: ChainVerificationResult['witness'];
  if (patched(VERIFICATION_WITNESS_PATCH)) {
    const w = await witnessCheck({ publish: result.ok });
    if (w) {
      const alarms: NonNullable<ChainVerificationResult['witness']>['alarms'] = [];
      for (const change of w.changes) {
        const d = await alarmRecord(change);
        const delivered = await alarmDeliver(d).then(
          (x) => x.delivered,
          () => false,
        );
        alarms.push({ alarm_id: d.alarm_id, state: d.state, seq: d.ledger.seq, delivered });
      }
      witness = {
        status: w.check.status,
        detail: w.check.detail,
        published: w.published,
        recorded: w.recorded,
        alarms,
      };
    }
  }
  if (!result.ok) {
    const bad = result.streams.find((s) => !s.valid);
    throw ApplicationFailure.create({
      type: VerificationFailure.ChainVerificationFailed,
      message: `ledger verification failed: stream ${bad?.stream}: ${bad?.detail} (alert at compliance#${rec.alert?.seq})`,
      nonRetryable: true,
    });
  }
  if (witness && !['consistent', 'empty'].includes(witness.status)) {
    throw ApplicationFailure.create({
      type: VerificationFailure.WitnessCheckFailed,
      message: `ledger witness check failed: ${witness.status}: ${witness.detail} (recorded at compliance#${witness.recorded.seq})`,
      nonRetryable: true,
    });
  }
  return {
    ok: result.ok,
    streams: result.streams,
    eventsChecked: result.eventsChecked,
    recorded: rec.recorded,
    alert: rec.alert,
    ...(witness ? { witness } : {}),
  };
};
