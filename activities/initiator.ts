import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Database } from '../db/client';
import { authorizedInitiator } from '../services/principals/workflow-starts';

// Start records are append-only and principals are never deleted: a run's initiator, once found,
// stays. Bounded, so a long-lived worker does not grow without limit.
const known = new Map<string, string>();
const KNOWN_MAX = 10_000;
function remember(key: string, initiator: string): void {
  if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as string);
  known.set(key, initiator);
}

/** Failure type of an activity whose workflow has no authorized start on record. */
export const UNAUTHORIZED_START = 'UnauthorizedStart';

/**
 * The principal the running workflow acts for: the one whose authorized start of this workflow
 * (type and id) is on record in the ledger (see recordWorkflowStart). When the workflow input
 * names a principal (`claimed`), it must be that one. Anything else (a workflow started through a
 * raw Temporal client, or an input naming someone else) fails the activity, non-retryably,
 * before it writes anything.
 */
export async function workflowInitiator(db: Database, claimed?: string): Promise<string> {
  const info = Context.current().info;
  const workflowId = info.workflowExecution?.workflowId ?? '';
  const key = `${info.workflowType ?? ''}:${workflowId}:${info.workflowExecution?.runId ?? ''}`;
  const initiator = known.get(key) ?? (await authorizedInitiator(db, workflowId, info.workflowType ?? ''));
  if (initiator) remember(key, initiator);
  if (!initiator)
    throw ApplicationFailure.create({
      type: UNAUTHORIZED_START,
      message: `workflow ${workflowId} has no authorized start on record; nothing is written for it`,
      nonRetryable: true,
    });
  if (claimed !== undefined && claimed !== initiator)
    throw ApplicationFailure.create({
      type: UNAUTHORIZED_START,
      message: `workflow ${workflowId}: its input names a principal other than the one authorized to start it`,
      nonRetryable: true,
    });
  return initiator;
}
