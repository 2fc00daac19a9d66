import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { chainVerificationWorkflow } from '../contracts/verification';
import { loadSigner } from '../ledger/keys';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { createMetrics } from '../runtime/metrics';
import { startHealthServer, type HealthServer } from '../worker/health-server';
import { executeAuthorized, sampleApplication, useLoanTestEnv } from './support';

const env = useLoanTestEnv();
let health: HealthServer | undefined;
afterAll(() => health?.close());

const sample = (text: string, line: RegExp) => Number(text.match(line)?.[1] ?? NaN);

describe('worker /metrics after a loan', () => {
  it('counts the loan stream appends, the cadence checkpoints and the chain verification', async () => {
    const metrics = createMetrics();
    const db = env.t.connect();
    // Checkpoint at every event so the loan's appends also exercise the cadence counter.
    const ledger = createLedger(db, { signer: loadSigner(loadConfig()), checkpointEvery: 1, metrics });
    const { worker, stop } = await env.temporal.startWorker({
      db,
      ledger,
      providers: env.providers.urls,
      providerTimeoutMs: 2_000,
    });
    try {
      health = await startHealthServer(worker, { port: 0, host: '127.0.0.1', registry: metrics.registry });
      const scrape = async () => (await fetch(`http://127.0.0.1:${health!.port}/metrics`)).text();

      const idle = await scrape();
      expect(idle).not.toMatch(/^ledgerflow_ledger_appends_total\{stream="loan"/m);
      expect(sample(idle, /^ledgerflow_verification_last_result (-?\d+)/m)).toBe(-1);

      const sub = await env.submit(sampleApplication('app-metrics'));
      expect((await sub.handle.result()).status).toBe('approved');
      await executeAuthorized(db, 'test', env.client, chainVerificationWorkflow, {
        taskQueue: env.temporal.taskQueue,
        workflowId: `verify-${randomBytes(4).toString('hex')}`,
        args: [{ full: true, requestedBy: 'test' }],
      });

      const text = await scrape();
      const loanAppends = sample(
        text,
        /^ledgerflow_ledger_appends_total\{stream="loan",outcome="created"\} (\d+)/m,
      );
      expect(loanAppends).toBeGreaterThanOrEqual(5);
      expect(
        sample(text, /^ledgerflow_ledger_append_duration_seconds_count\{kind="single"\} (\d+)/m),
      ).toBeGreaterThan(0);
      expect(sample(text, /^ledgerflow_ledger_checkpoints_total (\d+)/m)).toBeGreaterThan(0);
      expect(text).toMatch(/^ledgerflow_ledger_checkpoint_errors_total 0$/m);
      // Without a loaded sanctions list the loan screens on the interim watchlist, which the
      // screening counter (the sanctions engine's) does not count.
      expect(text).toMatch(/^# TYPE ledgerflow_screening_names_screened_total counter$/m);
      expect(text).toMatch(/^ledgerflow_monitoring_transactions_ingested_total 0$/m);
      expect(sample(text, /^ledgerflow_verification_runs_total\{result="ok"\} (\d+)/m)).toBe(1);
      expect(sample(text, /^ledgerflow_verification_last_result (-?\d+)/m)).toBe(1);
      const lastOk = sample(text, /^ledgerflow_verification_last_success_timestamp_seconds (\S+)/m);
      expect(Math.abs(lastOk - Date.now() / 1000)).toBeLessThan(120);
      // The health server's own process metrics are in the same registry.
      expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    } finally {
      await stop();
    }
  });
});
