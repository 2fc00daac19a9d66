import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/** The task queue the worker polls unless TEMPORAL_TASK_QUEUE says otherwise. */
export const DEFAULT_TASK_QUEUE = 'ledgerflow';

/**
 * A workflow's registered name bound to its signature. Clients and schedules start workflows
 * by reference, so a renamed workflow or a changed input type fails to compile, not at run time.
 */
export interface WorkflowRef<W extends Workflow> {
  readonly name: string;
  /** Type-level only: the workflow function's signature. */
  readonly signature?: W;
}

export function workflowRef<W extends Workflow>(name: string): WorkflowRef<W> {
  return { name };
}

/** The arguments a referenced workflow takes (for schedules' `args`). */
export type WorkflowArgs<R> = R extends WorkflowRef<infer W> ? Parameters<W> : never;

/** Starts a workflow by reference. */
export function startWorkflow<W extends Workflow>(
  client: Client,
  ref: WorkflowRef<W>,
  options: WorkflowStartOptions<W>,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  return client.workflow.start<W>(ref.name, options);
}

/** Starts a workflow by reference and waits for its result. */
export function executeWorkflow<W extends Workflow>(
  client: Client,
  ref: WorkflowRef<W>,
  options: WorkflowStartOptions<W>,
): Promise<Awaited<ReturnType<W>>> {
  return client.workflow.execute<W>(ref.name, options) as Promise<Awaited<ReturnType<W>>>;
}
