import type { Tracer } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';

/**
 * Connects a Temporal client, retrying briefly so a just-started server has time to answer.
 * With a `tracer`, starting, signalling and querying workflows are spans whose context travels
 * in the workflow's headers (the worker continues the trace).
 */
export async function connectTemporalClient(
  address: string,
  namespace: string,
  opts: { attempts?: number; tracer?: Tracer } = {},
): Promise<Client> {
  const attempts = opts.attempts ?? 20;
  const tracer = opts.tracer;
  const interceptors = tracer ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] } : {};
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2000 });
      return new Client({ connection, namespace, interceptors });
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, Math.min(250 * 2 ** i, 2000)));
    }
  }
  throw new Error(
    `cannot reach Temporal at ${address}: ${(lastError as Error)?.message ?? lastError}. Start it with "ledgerflow dev" or set TEMPORAL_ADDRESS.`,
  );
}
