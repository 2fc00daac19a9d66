import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  PostureCheckInputSchema,
  PostureFailure,
  type PostureCheckInput,
  type PostureCheckResult,
  type PostureCheckWorkflow,
} from '../contracts/posture';
import { validateInput } from './validate-input';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' };

const { postureReport, alarmPlan, alarmRecord } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '2 minutes',
  retry,
});

/** Webhook deliveries: retried with backoff for about an hour, then the run records the miss. */
const { alarmDeliver } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { ...retry, maximumAttempts: 120 },
});

/**
 * Posture check: checks every control against the live system and stores the signed report in
 * the ledger, then evaluates the alarms and records each firing and resolution before sending it
 * to the webhook. A failing control fails the run (non-retryable) after all of that, so the
 * schedule's last run shows it.
 */
export const postureCheck: PostureCheckWorkflow = async (rawInput: PostureCheckInput = {}) => {
  const input = validateInput(PostureCheckInputSchema, rawInput);
  const at = workflowInfo().runStartTime.toISOString();
  const r = await postureReport({ requestedBy: input.requestedBy, at, settings: input.settings });
  const changes = await alarmPlan({
    asOf: input.asOf ? new Date(input.asOf).toISOString() : at,
    settings: input.settings,
    postureFailures: r.failing.map((f) => ({ id: f.id, detail: f.detail })),
  });
  const alarms: PostureCheckResult['alarms'] = [];
  for (const change of changes) {
    const d = await alarmRecord(change);
    const sent = await alarmDeliver(d).then(
      (x) => x.delivered,
      () => false,
    );
    alarms.push({ alarm_id: d.alarm_id, state: d.state, seq: d.ledger.seq, delivered: sent });
  }
  if (!r.ok) {
    throw ApplicationFailure.create({
      type: PostureFailure.PostureCheckFailed,
      message: `posture check failed: ${r.failing.map((f) => f.id).join(', ')} (report at ${r.recorded.stream}#${r.recorded.seq})`,
      nonRetryable: true,
      details: [{ report: r.recorded, summary: r.summary, failing: r.failing, alarms }],
    });
  }
  return { ok: true, report: r.recorded, summary: r.summary, failing: [], alarms };
};
