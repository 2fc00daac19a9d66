import { Context } from '@temporalio/activity';
import type { EventContext } from '../core/audit-event';

function currentExecution(): { workflowId: string; runId: string } {
  const execution = Context.current().info.workflowExecution;
  if (!execution) throw new Error('ledgerflow activities must run inside a workflow');
  return execution;
}

/** Provenance of the running activity, for the `context` of every ledger event it writes. */
export function activityAuditContext(step: string): EventContext {
  const info = Context.current().info;
  const { workflowId, runId } = currentExecution();
  return {
    workflow_id: workflowId,
    run_id: runId,
    workflow_type: info.workflowType ?? undefined,
    activity_id: info.activityId,
    activity_type: info.activityType,
    step,
    attempt: info.attempt,
    request: { source: 'worker' },
  };
}

/**
 * Idempotency key of a business event: workflow id + run id + logical step. Activity ids
 * restart in every run, hence the run id; the attempt is left out so a retry finds the event.
 */
export function businessEventKey(step: string): string {
  const { workflowId, runId } = currentExecution();
  return `wf:${workflowId}:${runId}:${step}`;
}

/** Idempotency key of per-attempt telemetry: includes the attempt number on purpose. */
export function attemptEventKey(step: string): string {
  return `${businessEventKey(step)}:attempt:${Context.current().info.attempt}`;
}
