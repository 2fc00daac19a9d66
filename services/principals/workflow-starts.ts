import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';

const ACCESS_STREAM = 'access';
const START_EVENT = 'workflow.start_authorized';

/** A workflow start that authorize() allowed: who, for which action, which workflow. */
export interface WorkflowStart {
  principalId: string;
  action: string;
  workflowId: string;
  workflowType: string;
}

/**
 * Records, before the workflow starts, that `principalId` (already authorized for `action`) starts
 * `workflowType` under `workflowId`: a `workflow.start_authorized` event in stream `access`, actor
 * the principal. It binds the starter to the workflow: activities take the initiator from this
 * record ({@link authorizedInitiator}), never from the workflow input alone, so an input forged
 * through a raw Temporal client cannot name a principal. Idempotent per workflow: a repeated
 * submission keeps the first starter.
 */
export async function recordWorkflowStart(ledger: Ledger, start: WorkflowStart): Promise<void> {
  await ledger.append(
    {
      event_type: START_EVENT,
      actor: { type: 'user', id: start.principalId },
      resource: { type: 'workflow', id: start.workflowId },
      action: 'start',
      outcome: 'success',
      context: { workflow_id: start.workflowId, workflow_type: start.workflowType },
      payload: { authorized_action: start.action },
    },
    { stream: ACCESS_STREAM, idempotencyKey: `workflow-start:${start.workflowType}:${start.workflowId}` },
  );
}

/**
 * The principal whose authorized start of `workflowType` under `workflowId` is on record, if that
 * principal still exists; undefined when no such start was recorded.
 */
export async function authorizedInitiator(
  db: Database,
  workflowId: string,
  workflowType: string,
): Promise<string | undefined> {
  const r = await db.$client.query<{ actor_id: string }>(
    `SELECT e.actor_id FROM ledger_events e JOIN principals p ON p.id = e.actor_id
      WHERE e.context ? 'workflow_id' AND e.context->>'workflow_id' = $1 AND e.stream = $2 AND e.event_type = $3
        AND e.context->>'workflow_type' = $4
      ORDER BY e.seq LIMIT 1`,
    [workflowId, ACCESS_STREAM, START_EVENT, workflowType],
  );
  return r.rows[0]?.actor_id;
}
