import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { startWorkflow, type WorkflowRef } from '../../contracts/workflow-ref';
import type { Database } from '../../db/client';
import { createLedger } from '../../ledger/ledger';
import { ensurePrincipal } from '../../services/principals/principals';
import { recordWorkflowStart } from '../../services/principals/workflow-starts';

/**
 * Records `principalId`'s authorized start of `ref` under `workflowId`, as the CLI or API starter
 * does before it starts a workflow (the principal is created as an admin when missing), so a test
 * may then start the workflow through its own Temporal client.
 */
export async function authorizeStart<W extends Workflow>(
  db: Database,
  principalId: string,
  ref: WorkflowRef<W>,
  workflowId: string,
): Promise<void> {
  await ensurePrincipal(db, principalId, ['admin']);
  await recordWorkflowStart(createLedger(db), {
    principalId,
    action: 'test.start',
    workflowId,
    workflowType: ref.name,
  });
}

/** Starts `ref` through the test's Temporal client after recording `principalId`'s authorized start. */
export async function startAuthorized<W extends Workflow>(
  db: Database,
  principalId: string,
  client: Client,
  ref: WorkflowRef<W>,
  options: WorkflowStartOptions<W>,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  await authorizeStart(db, principalId, ref, options.workflowId);
  return startWorkflow(client, ref, options);
}

/** {@link startAuthorized}, then the workflow's result. */
export async function executeAuthorized<W extends Workflow>(
  db: Database,
  principalId: string,
  client: Client,
  ref: WorkflowRef<W>,
  options: WorkflowStartOptions<W>,
): Promise<Awaited<ReturnType<W>>> {
  const handle = await startAuthorized(db, principalId, client, ref, options);
  return (await handle.result()) as Awaited<ReturnType<W>>;
}
