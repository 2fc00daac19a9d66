import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  bundleWorkflowCode,
  type Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { inject } from 'vitest';
import type { ActivityDeps } from '../activities';
import { createLedgerflowWorker, installRuntimeLogger, workflowsPath } from '../worker/create-worker';

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file (bundling takes ~1-2 s). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  installRuntimeLogger();
  return (bundle ??= bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }));
}

export interface TemporalTestEnv {
  client: Client;
  taskQueue: string;
  address: string;
  /** Starts an in-process worker on this file's task queue with the given activity deps. */
  startWorker(deps: ActivityDeps): Promise<{ worker: Worker; stop(): Promise<void> }>;
  close(): Promise<void>;
}

/** A client and a unique task queue on the run's real Temporal dev server. */
export async function createTemporalTestEnv(): Promise<TemporalTestEnv> {
  installRuntimeLogger();
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `test-${randomBytes(5).toString('hex')}`;
  const stops: Array<() => Promise<void>> = [];
  return {
    client,
    taskQueue,
    address,
    async startWorker(deps) {
      const nativeConnection = await NativeConnection.connect({ address });
      const worker = await createLedgerflowWorker({
        connection: nativeConnection,
        namespace: 'default',
        taskQueue,
        deps,
        workflowBundle: await workflowBundle(),
      });
      const running = worker.run();
      const stop = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
        await nativeConnection.close().catch(() => undefined);
      };
      stops.push(stop);
      return { worker, stop };
    },
    async close() {
      for (const s of stops) await s();
      await connection.close();
    },
  };
}

/**
 * Starts `worker/main.ts` as its own process (for kill -9 tests) on the given database and
 * task queue; `env` adds variables such as provider URLs or test hooks.
 */
export function spawnWorkerProcess(opts: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  env?: Record<string, string>;
}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'worker', 'main.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: opts.databaseUrl,
      TEMPORAL_ADDRESS: opts.temporalAddress,
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}
