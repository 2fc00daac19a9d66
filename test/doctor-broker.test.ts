import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../runtime/config';
import { findNatsServer } from '../runtime/nats-server';
import { freePort, waitForPort } from '../runtime/temporal-server';
import { feedNames, listDeadLetters, startFeedConsumer } from '../services/monitoring/feed';
import { brokerChecks } from '../services/monitoring/feed/broker-health';
import { createCli, createTestDatabase, waitFor, type TestDatabase } from './support';
import { createTestFeed, natsUrl, publishRaw } from './feed-helpers';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t?.drop());

const cli = createCli(() => ({
  env: {
    DATABASE_URL: t.ownerUrl,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    LEDGERFLOW_PRINCIPAL: undefined,
  },
}));

type Report = { ok: boolean; checks: Array<{ check: string; ok: boolean; warning?: boolean; fix?: string }> };
const byName = (r: Report) => Object.fromEntries(r.checks.map((c) => [c.check, c]));

describe('doctor checks the feed broker', () => {
  it('passes with the broker reachable, JetStream on and the feed stream present', async () => {
    const feed = await createTestFeed();
    const r = await cli(['doctor', '--json'], {
      NATS_URL: natsUrl(),
      LEDGERFLOW_FEED_STREAM: feed.names.stream,
    });
    expect(r.code, r.stderr).toBe(0);
    const checks = byName(JSON.parse(r.stdout) as Report);
    expect(checks.broker).toMatchObject({ ok: true });
    expect(checks.jetstream).toMatchObject({ ok: true });
    expect(checks['feed stream']).toMatchObject({ ok: true });
    expect(checks['feed stream']!.warning).toBeUndefined();
    await feed.nc.close();
  });

  it('an unreachable broker fails doctor (exit 1) and says what to fix', async () => {
    const r = await cli(['doctor', '--json'], { NATS_URL: `nats://127.0.0.1:${await freePort()}` });
    expect(r.code).toBe(1);
    const checks = byName(JSON.parse(r.stdout) as Report);
    expect(checks.broker).toMatchObject({ ok: false, fix: expect.stringMatching(/NATS_URL/) });
    expect(checks.jetstream).toBeUndefined();
  });

  it('a broker without JetStream fails the jetstream check', async () => {
    const bin = findNatsServer(loadConfig());
    expect(bin, 'nats-server must be installed for the feed tests').toBeTruthy();
    const port = await freePort();
    const plain = spawn(bin!, ['-p', String(port), '-a', '127.0.0.1'], { stdio: 'ignore' });
    try {
      await waitForPort('127.0.0.1', port, 15_000);
      const checks = await brokerChecks(`nats://127.0.0.1:${port}`, 'test', feedNames('T_DOCTOR'));
      expect(checks.map((c) => [c.check, c.ok])).toEqual([
        ['broker', true],
        ['jetstream', false],
      ]);
      expect(checks[1]!.fix).toMatch(/-js/);
    } finally {
      plain.kill('SIGTERM');
    }
  });

  it('a missing feed stream and waiting dead letters are warnings', async () => {
    const missing = await brokerChecks(natsUrl(), 'test', feedNames('T_DOCTOR_NONE'));
    expect(missing.find((c) => c.check === 'feed stream')).toMatchObject({ ok: true, warning: true });
    const feed = await createTestFeed();
    await publishRaw(feed.nc, feed.names, ['{not json']);
    const db = t.connect();
    const member = await startFeedConsumer({
      nc: feed.nc,
      names: feed.names,
      pool: db.$client,
      settings: feed.settings,
      process: async () => ({ dead: [{ seq: 1, reason: 'malformed JSON' }] }),
    });
    await waitFor(
      async () => (await listDeadLetters(feed.nc, feed.names)).length === 1,
      60_000,
      'the dead letter',
    );
    await member.stop();
    await db.$client.end();
    const checks = await brokerChecks(natsUrl(), 'test', feed.names);
    expect(checks.find((c) => c.check === 'dead letters')).toMatchObject({ ok: true, warning: true });
    expect(checks.find((c) => c.check === 'feed stream')).toMatchObject({ ok: true });
    await feed.nc.close();
  });
});
