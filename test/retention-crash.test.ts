import { PURGE_EVENT_STREAM, PURGE_EVENT_TYPE, parseRanges } from '../ledger/purge-events';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncPolicies } from '../services/retention/policies';
import { retentionPurgeWorkflow } from '../contracts/retention';
import type { SignedPurgeCertificate } from '../core/retention/types';
import type { Database } from '../db/client';
import { verifyLedger } from '../ledger/verify';
import {
  createTestDatabase,
  type TestDatabase,
  TEST_RETENTION_CONFIG,
  appendEvents,
  dbNow,
  useTempDataDir,
  createTemporalTestEnv,
  spawnWorkerProcess,
  type TemporalTestEnv,
  waitUntilAged,
  waitFor,
  addPrincipals,
  startAuthorized,
} from './support';
import { createLedger } from '../ledger/ledger';
import { PURGED_PAYLOADS } from './support/purged-payloads';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let db: Database;
let dataDir: string;

beforeAll(async () => {
  dataDir = useTempDataDir();
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  db = t.connect();
  await addPrincipals(t, ['alice']);
  await syncPolicies(createLedger(db), TEST_RETENTION_CONFIG, { changedBy: 'alice', reason: 'test setup' });
});
afterAll(async () => {
  await temporal?.close();
  await t?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

describe('retention purge crash and resume', () => {
  it('kill -9 of the worker mid-purge: the batch activity resumes, nothing is deleted twice', async () => {
    await appendEvents(db, 60, { prefix: 'crash' });
    await waitUntilAged(t, 2_000);
    const asOf = await dbNow(t);
    const expired = await count('SELECT count(*) AS n FROM ledger_payloads');

    const spawnWorker = (delayMs: number): ChildProcess =>
      spawnWorkerProcess({
        databaseUrl: t.ownerUrl,
        temporalAddress: temporal.address,
        taskQueue: temporal.taskQueue,
        env: { LEDGERFLOW_DATA_DIR: dataDir },
        hooks: { purgeBatchDelayMs: delayMs },
      });
    const first = spawnWorker(300);
    const exited = new Promise((r) => first.once('exit', r));
    const handle = await startAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-crash',
      args: [{ asOf, batchSize: 5 }],
    });
    const batches = () =>
      count(`SELECT count(*) AS n FROM retention_purge_batches WHERE purge_run_id = 'retention-crash'`);
    await waitFor(async () => (await batches()) >= 3, 45_000, 'three committed batches', 50);
    const before = await batches();
    expect(before).toBeGreaterThanOrEqual(3);
    first.kill('SIGKILL');
    await exited;
    const purgedAtCrash = await count(`SELECT count(*) AS n FROM (${PURGED_PAYLOADS}) pp`);
    expect(purgedAtCrash).toBeLessThan(expired);

    const second = await temporal.startWorker({ db, ledger: createLedger(db) });
    try {
      const r = await handle.result();
      expect(r.purged.ledger_payloads).toBeLessThanOrEqual(expired);
      // Every expired payload purged exactly once; the batch records add up.
      expect(
        await count(
          `SELECT count(*) AS n FROM ledger_payloads JOIN ledger_events e USING (stream, seq)
            WHERE e.event_type NOT IN ('retention.purge_certificate', 'workflow.start_authorized', '${PURGE_EVENT_TYPE}')`,
        ),
      ).toBe(0);
      expect(await count(`SELECT count(*) AS n FROM (${PURGED_PAYLOADS}) pp`)).toBe(expired);
      // The chained purge events cover every purged payload exactly once despite the retry.
      const purgeEventRows = await t.asOwner<{ resource_id: string }>(
        `SELECT resource_id FROM ledger_events WHERE stream = $1 AND event_type = $2`,
        [PURGE_EVENT_STREAM, PURGE_EVENT_TYPE],
      );
      const covered = purgeEventRows.rows.flatMap((row) =>
        [...(parseRanges(row.resource_id) ?? new Map<string, Array<[number, number]>>())].flatMap(
          ([stream, list]) =>
            list.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => `${stream}:${a + i}`)),
        ),
      );
      const records = await t.asOwner<{ k: string }>(
        `SELECT stream || ':' || seq AS k FROM (${PURGED_PAYLOADS}) pp ORDER BY stream, seq`,
      );
      expect([...covered].sort()).toEqual(records.rows.map((r) => r.k).sort());
      expect(
        await count(
          `SELECT sum(purged) AS n FROM retention_purge_batches WHERE purge_run_id = 'retention-crash'`,
        ),
      ).toBe(expired);
      const cert = await t.asOwner<{ payload: SignedPurgeCertificate }>(
        `SELECT p.payload FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
          WHERE e.event_type = 'retention.purge_certificate' AND e.resource_id = 'retention-crash'`,
      );
      expect(cert.rows).toHaveLength(1);
      const lp = cert.rows[0]!.payload.certificate.classes.find((c) => c.dataClass === 'ledger_payloads')!;
      expect(lp.purged).toBe(expired);
      // The batch activity was retried after the crash (attempt >= 2).
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? [])
        .map((e) => Number(e.activityTaskStartedEventAttributes?.attempt ?? 0))
        .filter((a) => a > 0);
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
      expect((await verifyLedger(t.connect('ledgerflow_reader'))).valid).toBe(true);
    } finally {
      await second.stop();
    }
  }, 85_000);
});
