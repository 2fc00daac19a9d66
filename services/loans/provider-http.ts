import type { z } from 'zod';
import { TELEMETRY_STREAM } from '../../core/loan';
import type { Ledger } from '../../ledger/ledger';
import {
  ProviderMalformedResponseError,
  ProviderRateLimitedError,
  ProviderRejectedError,
  ProviderUnavailableError,
} from './errors';
import type { LoanStep } from './step';

/** Per-request HTTP timeout unless the worker is given another one. */
export const PROVIDER_HTTP_TIMEOUT_MS = 5_000;

export type ProviderName = 'business_registry' | 'credit_bureau';

export interface ProviderCall<T> {
  provider: ProviderName;
  step: LoanStep;
  applicationId: string;
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  schema: z.ZodType<T>;
}

/**
 * One HTTP call attempt. Writes a telemetry event (key includes the attempt), then returns the
 * validated body or throws: {@link ProviderUnavailableError} for timeouts, network errors and
 * 5xx; {@link ProviderRateLimitedError} for 429; {@link ProviderRejectedError} for other 4xx;
 * {@link ProviderMalformedResponseError} for bodies that break the contract. On success the
 * telemetry write is returned unawaited: the caller awaits it together with its own writes.
 */
export async function callProvider<T>(
  deps: { ledger: Ledger; timeoutMs: number },
  call: ProviderCall<T>,
): Promise<{ data: T; telemetry: Promise<unknown> }> {
  const { step } = call;
  const timeoutMs = deps.timeoutMs;
  const idempotencyKey = step.businessKey();
  const started = performance.now();
  let status = 0;
  let text = '';
  let networkError: string | undefined;
  let retryAfterS: number | undefined;
  // Heartbeats while the call is in flight, so a killed worker is noticed in seconds.
  const beat = setInterval(() => step.heartbeat(), 500);
  try {
    const res = await fetch(call.url, {
      method: call.method,
      headers: {
        'idempotency-key': idempotencyKey,
        'x-request-id': step.attemptKey(),
        ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: call.body !== undefined ? JSON.stringify(call.body) : undefined,
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), step.signal]),
    });
    status = res.status;
    const ra = Number(res.headers.get('retry-after'));
    if (status === 429 && Number.isFinite(ra) && ra >= 0) retryAfterS = Math.min(ra, 300);
    text = await res.text();
  } catch (err) {
    const e = err as Error;
    networkError = e.name === 'TimeoutError' ? `timeout after ${timeoutMs} ms` : `${e.name}: ${e.message}`;
  } finally {
    clearInterval(beat);
  }
  const durationMs = Math.round(performance.now() - started);

  let parsed: T | undefined;
  let failure: Error | undefined;
  if (networkError) failure = new ProviderUnavailableError(`${call.provider}: ${networkError}`);
  else if (status === 429) {
    failure = new ProviderRateLimitedError(
      `${call.provider}: 429 rate limited, retry after ${retryAfterS ?? '?'} s`,
      retryAfterS,
    );
  } else if (status >= 500) failure = new ProviderUnavailableError(`${call.provider}: HTTP ${status}`);
  else if (status >= 400) {
    failure = new ProviderRejectedError(`${call.provider}: HTTP ${status} ${text.slice(0, 200)}`);
  } else {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const r = call.schema.safeParse(json);
    if (r.success) parsed = r.data;
    else {
      failure = new ProviderMalformedResponseError(
        `${call.provider}: response does not match the contract (${json === undefined ? 'not JSON' : r.error.issues[0]?.path.join('.')})`,
      );
    }
  }

  const telemetry = deps.ledger.appendOneTrip(
    {
      event_type: 'provider.call_attempted',
      actor: { type: 'service', id: 'ledgerflow-worker' },
      resource: { type: 'provider', id: call.provider },
      action: 'call',
      outcome: failure ? 'error' : 'success',
      case_id: call.applicationId,
      context: step.auditContext(),
      payload: {
        request: { method: call.method, path: new URL(call.url).pathname, idempotency_key: idempotencyKey },
        response: {
          status,
          duration_ms: durationMs,
          ...(retryAfterS !== undefined ? { retry_after_s: retryAfterS } : {}),
        },
        ...(failure ? { error: failure.message.slice(0, 500) } : {}),
      },
    },
    { stream: TELEMETRY_STREAM, idempotencyKey: step.attemptKey() },
  );
  if (failure) {
    await telemetry;
    throw failure;
  }
  return { data: parsed as T, telemetry };
}
