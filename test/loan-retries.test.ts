import { WorkflowFailedError } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { useLoanTestEnv, sampleApplication } from './support';

const env = useLoanTestEnv();
afterEach(() => {
  env.providers.registry.faults.set({});
  env.providers.bureau.faults.set({});
});

const creditRows = (id: string) =>
  env.t.asOwner(
    `SELECT version, provider_ref FROM loan_enrichments WHERE application_id = $1 AND source = 'credit_bureau'`,
    [id],
  );

describe('provider faults and the retry policy', () => {
  it('5xx twice then success: one telemetry event per attempt, one inquiry, one enrichment record and business event', async () => {
    env.providers.bureau.faults.set({ fail5xxFirst: 2 });
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-5xx'));
      expect((await sub.handle.result()).status).toBe('approved');
      const events = await env.events('app-5xx');
      const bureauAttempts = events.filter(
        (e) => e.stream === 'telemetry' && (e.payload.request as { path: string }).path === '/v1/inquiries',
      );
      expect(
        bureauAttempts.map((e) => [e.attempt, (e.payload.response as { status: number }).status]),
      ).toEqual([
        [1, 503],
        [2, 503],
        [3, 201],
      ]);
      expect(new Set(bureauAttempts.map((e) => e.idempotency_key)).size).toBe(3);
      const enrich = events.filter(
        (e) => e.event_type === 'loan.enrichment_recorded' && e.payload.source === 'credit_bureau',
      );
      expect(enrich).toHaveLength(1);
      expect((await creditRows('app-5xx')).rows).toHaveLength(1);
      // The provider saw the same Idempotency-Key three times and opened one inquiry.
      const calls = env.providers.bureau.faults.calls.filter((c) => c.idempotencyKey?.includes('app-5xx'));
      expect(calls).toHaveLength(3);
      expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(1);
      expect(
        [...env.providers.bureau.inquiries.values()].filter((i) => i.idempotencyKey.includes('app-5xx')),
      ).toHaveLength(1);
    } finally {
      await stop();
    }
  });

  it('429 with Retry-After: the next attempt waits the provider-given delay, not the 100 ms policy', async () => {
    env.providers.registry.faults.set({ rateLimitFirst: 1, retryAfterSeconds: 2 });
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-429'));
      expect((await sub.handle.result()).status).toBe('approved');
      const calls = env.providers.registry.faults.calls.filter((c) => c.idempotencyKey?.includes('app-429'));
      expect(calls.map((c) => c.status)).toEqual([429, 200]);
      const gap = Date.parse(calls[1]!.at) - Date.parse(calls[0]!.at);
      expect(gap).toBeGreaterThanOrEqual(1_900);
      const telemetry = (await env.events('app-429')).filter(
        (e) => e.stream === 'telemetry' && e.event_type === 'provider.call_attempted',
      );
      expect(
        telemetry.find((e) => (e.payload.response as { status: number }).status === 429)?.payload.response,
      ).toMatchObject({
        retry_after_s: 2,
      });
    } finally {
      await stop();
    }
  });

  it('a malformed body is not retried: the workflow fails and compensates the opened credit inquiry', async () => {
    env.providers.registry.faults.set({ malformedFirst: 5 });
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-malformed'));
      const err = await sub.handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/does not match the contract/);
      expect(
        env.providers.registry.faults.calls.filter((c) => c.idempotencyKey?.includes('app-malformed')),
      ).toHaveLength(1);
      const inquiries = [...env.providers.bureau.inquiries.values()].filter((i) =>
        i.idempotencyKey.includes('app-malformed'),
      );
      expect(inquiries.map((i) => i.status)).toEqual(['cancelled']);
      const types = (await env.events('app-malformed'))
        .filter((e) => e.stream === 'loan')
        .map((e) => e.event_type);
      expect(types).toContain('loan.credit_inquiry_cancelled');
      expect(types[types.length - 1]).toBe('loan.origination_failed');
      const row = await env.t.asOwner(`SELECT status FROM loan_applications WHERE id = 'app-malformed'`);
      expect(row.rows[0]?.status).toBe('failed');
    } finally {
      await stop();
    }
  });

  it('a provider timeout is retried and succeeds on the next attempt', async () => {
    env.providers.bureau.faults.set({ timeoutFirst: 1, hangMs: 3_000 });
    const { stop } = await env.startWorker({ providerTimeoutMs: 500 });
    try {
      const sub = await env.submit(sampleApplication('app-timeout'));
      expect((await sub.handle.result()).status).toBe('approved');
      const attempts = (await env.events('app-timeout')).filter(
        (e) => e.stream === 'telemetry' && (e.payload.request as { path: string }).path === '/v1/inquiries',
      );
      expect(attempts.map((e) => e.payload.error ?? 'ok')).toEqual([
        'credit_bureau: timeout after 500 ms',
        'ok',
      ]);
    } finally {
      await stop();
    }
  });
});
