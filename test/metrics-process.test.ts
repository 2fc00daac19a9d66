import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { sampleApplication, spawnWorkerProcess, useLoanTestEnv, waitFor } from './support';

const env = useLoanTestEnv();

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

const scrape = async (url: string) => {
  try {
    const res = await fetch(url);
    return res.ok ? await res.text() : '';
  } catch {
    return '';
  }
};

describe('worker process metrics (worker/main.ts)', () => {
  it("serves ledgerflow's metrics on LEDGERFLOW_WORKER_HTTP_PORT and the Temporal SDK's on LEDGERFLOW_TEMPORAL_METRICS_ADDRESS", async () => {
    const httpPort = await freePort();
    const sdkPort = await freePort();
    const worker: ChildProcess = spawnWorkerProcess({
      databaseUrl: env.t.ownerUrl,
      temporalAddress: env.temporal.address,
      taskQueue: env.temporal.taskQueue,
      env: {
        LEDGERFLOW_REGISTRY_URL: env.providers.urls.registryUrl,
        LEDGERFLOW_BUREAU_URL: env.providers.urls.bureauUrl,
        LEDGERFLOW_WORKER_HTTP_PORT: String(httpPort),
        LEDGERFLOW_TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
      },
    });
    const exited = new Promise((r) => worker.once('exit', r));
    try {
      const sub = await env.submit(sampleApplication('app-process-metrics'));
      expect((await sub.handle.result()).status).toBe('approved');
      const appends = /^ledgerflow_ledger_appends_total\{stream="loan",outcome="created"\} [1-9]/m;
      let ours = '';
      await waitFor(async () => appends.test((ours = await scrape(`http://127.0.0.1:${httpPort}/metrics`))));
      expect(ours).toMatch(/^ledgerflow_verification_last_result -1$/m);
      let sdk = '';
      await waitFor(async () =>
        /^temporal_workflow_completed\{/m.test((sdk = await scrape(`http://127.0.0.1:${sdkPort}/metrics`))),
      );
      expect(sdk).toMatch(/^temporal_activity_execution_latency_count\{/m);
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  });
});
