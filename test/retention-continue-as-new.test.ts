import type { temporal as proto } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retentionPurgeWorkflow } from '../contracts/retention';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { syncPolicies } from '../services/retention/policies';
import {
  createTestDatabase,
  type TestDatabase,
  TEST_RETENTION_CONFIG,
  addPrincipals,
  startAuthorized,
  appendEvents,
  dbNow,
  useTempDataDir,
  waitFor,
  createTemporalTestEnv,
  type TemporalTestEnv,
} from './support';
import { PURGED_PAYLOADS } from './support/purged-payloads';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let db: Database;

beforeAll(async () => {
  useTempDataDir();
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  db = t.connect();
  await temporal.startWorker({ db, ledger: createLedger(db), purgerDb: t.connect('ledgerflow_purger') });
  await addPrincipals(t, ['alice']);
  await syncPolicies(createLedger(db), TEST_RETENTION_CONFIG, { changedBy: 'alice', reason: 'test setup' });
});
afterAll(async () => {
  await temporal?.close();
  await t?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

describe('retention purge continues as new', () => {
  it('carries its cursor through several generations: every expired payload purged exactly once', async () => {
    await appendEvents(db, 11, { prefix: 'can' });
    const written = Date.parse(await dbNow(t));
    // The test policy expires payloads 2 s after creation: wait on the database clock.
    await waitFor(async () => Date.parse(await dbNow(t)) > written + 2_100, 10_000, 'payloads to expire');
    const asOf = await dbNow(t);
    const expired = await count(
      `SELECT count(*) AS n FROM ledger_events e JOIN ledger_payloads p USING (stream, seq) WHERE e.occurred_at <= $1`,
      [asOf],
    );
    expect(expired).toBeGreaterThanOrEqual(11);

    const handle = await startAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-can',
      args: [{ asOf, batchSize: 2, batchesPerRound: 1, roundsPerRun: 2, requestedBy: 'alice' }],
    });
    const result = await handle.result();

    // Follow the chain of runs: every run but the last continued as new.
    const runs: string[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      runs.push(runId);
      const history: proto.api.history.v1.IHistory = await temporal.client.workflow
        .getHandle('retention-can', runId)
        .fetchHistory();
      runId =
        history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        undefined;
    }
    expect(runs.length).toBeGreaterThanOrEqual(3);

    const payloads = result.preview.find((p) => p.data_class === 'ledger_payloads')!;
    expect(result.purged.ledger_payloads).toBe(payloads.purgeable);
    expect(
      await count(`SELECT count(*) AS n FROM (${PURGED_PAYLOADS}) pp WHERE purge_run_id = 'retention-can'`),
    ).toBe(payloads.purgeable);
    // Nothing expired was skipped: no payload recorded before as-of is left.
    expect(
      await count(
        `SELECT count(*) AS n FROM ledger_events e JOIN ledger_payloads p USING (stream, seq) WHERE e.occurred_at <= $1`,
        [asOf],
      ),
    ).toBe(expired - payloads.purgeable);
    expect(payloads.held).toBe(0);
    expect(result.certificate).toBeDefined();
  });
});
