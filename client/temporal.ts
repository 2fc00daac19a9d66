import type { Tracer } from '@opentelemetry/api';
import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { ConfigError } from '../runtime/errors';

/**
 * Connects a Temporal client, retrying briefly so a just-started server has time to answer, but
 * never longer than `deadlineMs` in all: a server that does not answer is reported, not waited on.
 * With a `tracer`, starting, signalling and querying workflows are spans whose context travels in
 * the workflow's headers (the worker continues the trace).
 */
export async function connectTemporalClient(
  address: string,
  namespace: string,
  opts: { deadlineMs?: number; tracer?: Tracer } = {},
): Promise<Client> {
  const deadline = Date.now() + (opts.deadlineMs ?? 8000);
  const tracer = opts.tracer;
  const interceptors = tracer ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer })] } : {};
  let lastError: unknown;
  for (let i = 0; Date.now() < deadline; i++) {
    try {
      const connectTimeout = Math.max(500, Math.min(2000, deadline - Date.now()));
      const connection = await Connection.connect({ address, connectTimeout });
      return new Client({ connection, namespace, interceptors });
    } catch (err) {
      lastError = err;
      await new Promise((r) =>
        setTimeout(r, Math.min(250 * 2 ** i, 1000, Math.max(0, deadline - Date.now()))),
      );
    }
  }
  throw new ConfigError(
    `cannot reach Temporal at ${address}: ${firstLine(lastError)}; start it ("ledgerflow dev" runs one), or fix or unset TEMPORAL_ADDRESS`,
  );
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];
