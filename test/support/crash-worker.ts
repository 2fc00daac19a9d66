import { runWorkerProcess } from '../../worker/main';
import type { WorkerTestHooks } from '../../worker/start';

/**
 * Test-only worker process for kill -9 tests: the production worker (worker/main.ts) with test
 * hooks in its activity deps. The hooks come as one JSON argument, e.g.
 * `node --import tsx test/support/crash-worker.ts '{"purgeBatchDelayMs":300}'` or
 * `'{"holdAfterWriteMs":60000}'`; without it the worker runs without hooks.
 */
function parseHooks(arg: string | undefined): WorkerTestHooks {
  if (!arg) return {};
  const raw = JSON.parse(arg) as Record<string, unknown>;
  const hooks: WorkerTestHooks = {};
  for (const key of ['holdAfterWriteMs', 'purgeBatchDelayMs'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new Error(`crash-worker: ${key} must be a non-negative number`);
    hooks[key] = v;
  }
  const unknown = Object.keys(raw).filter((k) => k !== 'holdAfterWriteMs' && k !== 'purgeBatchDelayMs');
  if (unknown.length) throw new Error(`crash-worker: unknown hooks ${unknown.join(', ')}`);
  return hooks;
}

runWorkerProcess(parseHooks(process.argv[2])).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
