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
import type { ActivityDeps } from '../../activities';
import { loadSigner, readPinnedKeys } from '../../ledger/keys';
import type { Signer } from '../../core/signing';
import { loadConfig, type Config } from '../../runtime/config';
import {
  WORKFLOW_PRELOAD_MODULES,
  createLedgerflowWorker,
  installRuntimeLogger,
  workflowsPath,
} from '../../worker/create-worker';
import type { WorkerTestHooks } from '../../worker/start';

/** Activity deps for test workers: the signer and pinned keys default to the configured data dir's. */
export type TestActivityDeps = Omit<ActivityDeps, 'signer' | 'pinnedKeys'> &
  Partial<Pick<ActivityDeps, 'signer' | 'pinnedKeys'>>;

/** The configured signer, loaded (and, in a fresh data dir, generated) only when first used. */
function lazySigner(config: Config): Signer {
  let signer: Signer | undefined;
  const get = () => (signer ??= loadSigner(config));
  return {
    get keyId() {
      return get().keyId;
    },
    get publicKey() {
      return get().publicKey;
    },
    get privateKey() {
      return get().privateKey;
    },
  };
}

function withKeyDefaults(deps: TestActivityDeps): ActivityDeps {
  const config = loadConfig();
  return {
    ...deps,
    signer: deps.signer ?? lazySigner(config),
    pinnedKeys: deps.pinnedKeys ?? (() => readPinnedKeys(config)),
  };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per test file (bundling takes ~1-2 s). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  installRuntimeLogger();
  return (bundle ??= bundleWorkflowCode({
    workflowsPath,
    preloadModules: WORKFLOW_PRELOAD_MODULES,
    logger: new DefaultLogger('WARN'),
  }));
}

export interface TemporalTestEnv {
  client: Client;
  taskQueue: string;
  address: string;
  /** Starts an in-process worker on this file's task queue with the given activity deps. */
  startWorker(deps: TestActivityDeps): Promise<{ worker: Worker; stop(): Promise<void> }>;
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
        deps: withKeyDefaults(deps),
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
 * task queue; `env` adds variables such as provider URLs. With `hooks`, starts the test-only
 * test/support/crash-worker.ts instead: the same production worker with the hooks in its deps.
 */
export function spawnWorkerProcess(opts: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  env?: Record<string, string>;
  hooks?: WorkerTestHooks;
}): ChildProcess {
  const entry = opts.hooks
    ? [path.join(__dirname, 'crash-worker.ts'), JSON.stringify(opts.hooks)]
    : [path.join(__dirname, '..', '..', 'worker', 'main.ts')];
  return spawn(process.execPath, ['--import', 'tsx', ...entry], {
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
