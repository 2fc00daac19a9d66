import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useLoanTestEnv, sampleApplication, spawnWorkerProcess } from './support';

const env = useLoanTestEnv();

describe('worker killed with kill -9 mid-enrichment', () => {
  it('a restarted worker completes the application; no duplicate business events, one inquiry', async () => {
    const spawnWorker = (): ChildProcess =>
      spawnWorkerProcess({
        databaseUrl: env.t.ownerUrl,
        temporalAddress: env.temporal.address,
        taskQueue: env.temporal.taskQueue,
        env: {
          LEDGERFLOW_REGISTRY_URL: env.providers.urls.registryUrl,
          LEDGERFLOW_BUREAU_URL: env.providers.urls.bureauUrl,
        },
      });
    // The bureau answers slowly, so the worker dies while the credit call is in flight.
    env.providers.bureau.faults.set({ latencyMs: 4_000 });
    const first = spawnWorker();
    const exited = new Promise((r) => first.once('exit', r));
    const sub = await env.submit(sampleApplication('app-crash'));
    const inFlight = () =>
      env.providers.bureau.faults.calls.some((c) => c.idempotencyKey?.includes('app-crash'));
    // A spawned worker compiles through tsx first: allow a slow, loaded machine up to 2 minutes.
    for (let i = 0; i < 1_200 && !inFlight(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(inFlight()).toBe(true);
    first.kill('SIGKILL');
    await exited;
    env.providers.bureau.faults.set({});

    const second = spawnWorker();
    try {
      const result = await sub.handle.result();
      expect(result.status).toBe('approved');
      const events = await env.events('app-crash');
      const business = events.filter((e) => e.stream === 'loan');
      expect(new Set(business.map((e) => e.idempotency_key)).size).toBe(business.length);
      expect(business.map((e) => e.event_type).sort()).toEqual(
        [
          'loan.application_received',
          'loan.decision_made',
          'loan.enrichment_recorded',
          'loan.enrichment_recorded',
          'loan.parties_screened',
          'loan.rules_evaluated',
        ].sort(),
      );
      // The bureau saw the same Idempotency-Key from the killed attempt and the retry: one inquiry.
      const calls = env.providers.bureau.faults.calls.filter((c) => c.idempotencyKey?.includes('app-crash'));
      expect(calls.length).toBeGreaterThanOrEqual(2);
      expect(new Set(calls.map((c) => c.idempotencyKey)).size).toBe(1);
      expect(
        [...env.providers.bureau.inquiries.values()].filter((i) => i.idempotencyKey.includes('app-crash')),
      ).toHaveLength(1);
      const history = await sub.handle.fetchHistory();
      const started = history.events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
      expect(started.some((e) => Number(e.activityTaskStartedEventAttributes?.attempt) >= 2)).toBe(true);
    } finally {
      second.kill('SIGKILL');
    }
  }, 240_000);
});
