import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../ledger/ledger';
import { startHealthServer, type HealthServer } from '../worker/health-server';
import { createTestDatabase, type TestDatabase } from './helpers';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal-helpers';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let health: HealthServer | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
});
afterAll(async () => {
  await health?.close();
  await temporal?.close();
  await t?.drop();
});

describe('worker /health and /metrics', () => {
  it('answers 200 while the worker polls, serves Prometheus metrics, and 503 once it stopped', async () => {
    const db = t.connect();
    const { worker, stop } = await temporal.startWorker({ db, ledger: createLedger(db) });
    health = await startHealthServer(worker, { port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${health.port}`;
    const ok = await fetch(`${base}/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, state: 'RUNNING' });
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toMatch(/text\/plain/);
    expect(await metrics.text()).toMatch(/^process_cpu_user_seconds_total \d/m);
    await stop();
    const down = await fetch(`${base}/health`);
    expect(down.status).toBe(503);
  });
});
