import path from 'node:path';
import type { Logger as TemporalLogger } from '@temporalio/common';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type LogLevel,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { Tracing } from '../runtime/tracing';

/** Activity slots per worker; the writer pool is sized to match (see NOTES: default is 100). */
export const MAX_CONCURRENT_ACTIVITIES = 40;

/** The workflows' entry for the bundler: the TypeScript source, or its compiled twin under dist/. */
export const workflowsPath = path.resolve(__dirname, '..', 'workflows', `index${path.extname(__filename)}`);

/**
 * Modules every workflow shares instead of evaluating its own copy (the SDK's reusable V8 context
 * gives each workflow run a fresh module cache; shared modules are deep-frozen). zod only, through
 * workflows/shared-modules.ts (a plain 'zod' entry is dropped by webpack, see there): its module
 * graph is the largest part of the bundle and holds no per-workflow state. Schemas are built per
 * workflow (zod memoises methods on schema instances, which a frozen instance refuses).
 */
export const WORKFLOW_PRELOAD_MODULES = [
  path.resolve(__dirname, '..', 'workflows', `shared-modules${path.extname(__filename)}`),
];

/**
 * The workflow interceptors of a traced worker: they run inside the workflow sandbox, so they
 * are bundled with the workflows (a prebuilt bundle must have been built with them).
 */
export const tracingWorkflowModules = [
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
];

let runtimeInstalled = false;

/**
 * Quiets the SDK's own logs (bundler, state changes) to warnings unless asked for more and,
 * with `metricsAddress` (host:port), serves the SDK's runtime metrics (task slots, poll and
 * schedule-to-start latencies, workflow and activity failures) in Prometheus format there.
 */
export function installRuntimeLogger(
  level: LogLevel = 'WARN',
  metricsAddress?: string,
  /** Replaces the SDK's plain-text logger (e.g. JSON lines, runtime/logging.ts). */
  logger?: TemporalLogger,
): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: logger ?? new DefaultLogger(level),
      ...(metricsAddress
        ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress } } } }
        : {}),
    });
  } catch {
    // Already instantiated by another caller in this process: keep its settings.
  }
}

/** Builds the ledgerflow worker: every workflow in workflows/, every activity from createActivities(deps). */
export async function createLedgerflowWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /**
   * Prebuilt workflow bundle (tests reuse one); default bundles workflows/ at start. With
   * `tracing`, it must include {@link tracingWorkflowModules}.
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Traces workflows and activities (and, through the deps' pools, their SQL). */
  tracing?: Tracing;
}): Promise<Worker> {
  installRuntimeLogger();
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle
      ? { workflowBundle: opts.workflowBundle }
      : { workflowsPath, bundlerOptions: { preloadModules: WORKFLOW_PRELOAD_MODULES } }),
    activities: createActivities(opts.deps),
    maxConcurrentActivityTaskExecutions: MAX_CONCURRENT_ACTIVITIES,
    ...(opts.tracing ? tracingOptions(opts.tracing) : {}),
  });
}

/** Interceptors and the span exporter sink that carry one trace from client through workflow to activity. */
function tracingOptions(tracing: Tracing): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const { tracer } = tracing;
  return {
    interceptors: {
      workflowModules: tracingWorkflowModules,
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer }),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
    },
    // Workflow spans are made in the sandbox and leave it through this sink.
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}

/** Connects to Temporal for a worker, retrying with capped exponential backoff instead of crashing. */
export async function connectWorkerWithBackoff(
  address: string,
  log: (msg: string) => void,
  maxAttempts = Number.POSITIVE_INFINITY,
): Promise<NativeConnection> {
  installRuntimeLogger();
  for (let attempt = 1; ; attempt++) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (attempt >= maxAttempts) throw err;
      const delay = Math.min(500 * 2 ** (attempt - 1), 30_000);
      log(`Temporal at ${address} unreachable (${(err as Error).message}); retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
