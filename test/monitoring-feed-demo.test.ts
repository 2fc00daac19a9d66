import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { feedScenario } from '../client/demo/feed';
import type { DemoContext } from '../client/demo/types';
import { createLedger } from '../ledger/ledger';
import { startWorkerFeed, type WorkerFeed } from '../worker/feed';
import {
  createTemporalTestEnv,
  createTestDatabase,
  type TemporalTestEnv,
  type TestDatabase,
} from './support';
import { natsUrl } from './feed-helpers';

let t: TestDatabase;
let env: TemporalTestEnv;
let feed: WorkerFeed;
let config: TestDatabase['config'];
beforeAll(async () => {
  t = await createTestDatabase();
  env = await createTemporalTestEnv();
  const db = t.connect();
  const ledger = createLedger(db);
  await env.startWorker({ db, ledger });
  config = {
    ...t.config,
    LEDGERFLOW_FEED_STREAM: `DEMO_${randomBytes(4).toString('hex').toUpperCase()}`,
    TEMPORAL_TASK_QUEUE: env.taskQueue,
  };
  feed = await startWorkerFeed({
    config,
    natsUrl: natsUrl(),
    temporalAddress: env.address,
    deps: { db, ledger },
    log: () => undefined,
  });
}, 60_000);
afterAll(async () => {
  await feed?.stop();
  await env?.close();
  await t?.drop();
});

it('the feed demo publishes a day, the worker raises its planted alerts, and one alert is investigated with four eyes', async () => {
  const lines: string[] = [];
  const ctx = {
    config,
    client: env.client,
    taskQueue: env.taskQueue,
    writer: t.connect(),
    reader: t.connect('ledgerflow_reader'),
    ownerUrl: t.ownerUrl,
    natsUrl: natsUrl(),
    log: (l: string) => lines.push(l),
  } as unknown as DemoContext;
  await feedScenario.run(ctx);
  const out = lines.join('\n');
  expect(out).toMatch(/^tx publish: 162 transactions of 30 accounts/);
  expect(out).toMatch(/raised 4 alerts:/);
  for (const typology of ['high_risk_geography', 'structuring', 'mule_activity'])
    expect(out).toContain(typology);
  expect(out).toMatch(/closing refused: four eyes: demo-analyst decided alert/);
  expect(out).toMatch(/: CLOSED\n/);
  expect(out).toMatch(
    /opened {5}service:monitoring-feed\n.*assigned {3}user:demo-compliance-lead\n.*decided {4}user:demo-analyst\n.*closed {5}user:demo-compliance-lead/,
  );
}, 120_000);
