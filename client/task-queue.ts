import type { Client } from '@temporalio/client';
import type * as Proto from '@temporalio/proto';

/** How the CLI names the ways to start a worker, in every "no worker" message. */
export const START_A_WORKER = '("ledgerflow dev" or "ledgerflow worker")';

/**
 * Whether a worker polls `taskQueue` for workflow tasks. Temporal keeps listing a poller for
 * minutes after its worker stopped, so only pollers seen within `withinMs` count (a live worker
 * starts a new long poll at least every ~70 s).
 */
export async function workerPolling(client: Client, taskQueue: string, withinMs = 90_000): Promise<boolean> {
  // Loaded here: the protobuf definitions are large, and `loan --help` needs none of them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a package, so require() works everywhere
  const { temporal } = require('@temporalio/proto') as typeof Proto;
  const r = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const now = Date.now();
  return (r.pollers ?? []).some((p) => {
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    return seconds === 0 || now - seconds * 1000 < withinMs;
  });
}
