import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { temporal as proto } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  screeningBatchProgressQuery,
  screeningBatchWorkflow,
  screeningListUpdateWorkflow,
  type BatchProgress,
} from '../contracts/screening';
import type { Database } from '../db/client';
import { createLedger } from '../ledger/ledger';
import { loadLocalList } from '../providers/sanctions-files';
import { createScreeningService } from '../services/screening';
import { startListServer, type ListServer } from '../simulators/sanctions-list-server';
import {
  createTestDatabase,
  type TestDatabase,
  createTemporalTestEnv,
  type TemporalTestEnv,
  executeAuthorized,
  startAuthorized,
} from './support';

const FIX = path.join(__dirname, 'fixtures', 'sanctions');
let t: TestDatabase;
let db: Database;
let temporal: TemporalTestEnv;
let server: ListServer;
let tmp: string;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.connect();
  server = await startListServer();
  tmp = await mkdtemp(path.join(tmpdir(), 'lf-screening-wf-'));
  temporal = await createTemporalTestEnv();
  // The production worker (every workflow and activity), as in worker/main.ts.
  await temporal.startWorker({ db, ledger: createLedger(db) });
}, 120_000);

afterAll(async () => {
  await temporal?.close();
  await server?.close();
  await t?.drop();
});

const runUpdate = () =>
  executeAuthorized(db, 'test', temporal.client, screeningListUpdateWorkflow, {
    taskQueue: temporal.taskQueue,
    workflowId: `lists-un-${randomBytes(3).toString('hex')}`,
    args: [{ source: 'un', url: `${server.url}/lists/un/` }],
  });

describe('screening workflows', () => {
  it('loads a list from the server, then re-screens known customers against the changed entries only', async () => {
    const un = await loadLocalList(path.join(FIX, 'un-consolidated'));
    server.publish('un', un.files);
    const first = await runUpdate();
    expect(first.load.status).toBe('loaded');
    // A known customer, screened once.
    const screening = createScreeningService({ db, ledger: createLedger(db) });
    await screening.screenName({ name: 'Germain Katanga', subjectId: 'cust-9' });
    await screening.screenName({ name: 'Jane Unlisted', subjectId: 'cust-10' });
    // The list changes one entry.
    const xml = un.files['UN_consolidated.xml']!.replace(
      '<FIRST_NAME>GERMAIN</FIRST_NAME>',
      '<FIRST_NAME>GERMAIN</FIRST_NAME><THIRD_NAME>JOSEPH</THIRD_NAME>',
    );
    server.publish('un', { 'UN_consolidated.xml': xml });
    const second = await runUpdate();
    expect(second.load).toMatchObject({ status: 'loaded', changed: 1, added: 0 });
    expect(second.rescreen).toMatchObject({ changedEntries: 1, subjects: 2 });
    expect(second.rescreen!.resultIds).toHaveLength(1);
    // The publisher goes down: the workflow completes, the last good version stays.
    server.faults.down = true;
    server.publish('un', { 'UN_consolidated.xml': `${xml}\n` });
    const requestsBefore = server.requests.length;
    const thirdHandle = await startAuthorized(db, 'test', temporal.client, screeningListUpdateWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: `lists-un-${randomBytes(3).toString('hex')}`,
      args: [{ source: 'un', url: `${server.url}/lists/un/` }],
    });
    const third = await thirdHandle.result();
    server.faults.down = false;
    // One retry layer: the activity's HTTP back-off (4 attempts); Temporal does not run it again.
    expect(server.requests.length - requestsBefore).toBe(4);
    const started = (await thirdHandle.fetchHistory()).events?.filter(
      (e) => e.activityTaskStartedEventAttributes,
    );
    expect(started?.map((e) => Number(e.activityTaskStartedEventAttributes!.attempt))).toEqual([1]);
    expect(third.load.status).toBe('download_failed');
    expect(third.rescreen).toBeUndefined();
    expect(third.load.active!.id).toBe(second.load.version!.id);
  });

  it('screens a file chunk by chunk and writes the report', async () => {
    const file = path.join(tmp, 'customers.csv');
    const rows = [
      'id,name',
      'a1,THOMAS LUBANGA',
      'a2,',
      'a3,Maria Lopez Garcia',
      ...Array.from({ length: 30 }, (_, i) => `b${i},Customer Number ${i}`),
    ];
    await writeFile(file, `${rows.join('\n')}\n`);
    const workflowId = `batch-${randomBytes(3).toString('hex')}`;
    const r = await executeAuthorized(db, 'test', temporal.client, screeningBatchWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [{ file, chunkSize: 5, outDir: path.join(tmp, 'out') }],
    });
    expect(r).toMatchObject({ batchId: workflowId, totalRows: 33, screened: 32, rejected: 1 });
    expect(r.decisions.block + r.decisions.review).toBeGreaterThanOrEqual(1);
    expect(r.reportFiles!.csv).toMatch(/report\.csv$/);
  });

  it('continues as new with its progress: every row screened exactly once over several runs', async () => {
    const file = path.join(tmp, 'many.csv');
    const rows = ['id,name', 'x0,', ...Array.from({ length: 22 }, (_, i) => `c${i},Client Person ${i}`)];
    await writeFile(file, `${rows.join('\n')}\n`);
    const workflowId = `batch-can-${randomBytes(3).toString('hex')}`;
    const handle = await startAuthorized(db, 'test', temporal.client, screeningBatchWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId,
      args: [{ file, chunkSize: 3, chunksPerRun: 2 }],
    });
    const r = await handle.result();
    expect(r).toMatchObject({ batchId: workflowId, totalRows: 23, screened: 22, rejected: 1 });

    // 8 chunks, 2 per run: 4 runs, each continuing as new with the progress so far.
    const runs: string[] = [];
    let runId: string | undefined = handle.firstExecutionRunId;
    while (runId) {
      runs.push(runId);
      const history: proto.api.history.v1.IHistory = await temporal.client.workflow
        .getHandle(workflowId, runId)
        .fetchHistory();
      runId =
        history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
        undefined;
    }
    expect(runs).toHaveLength(4);
    const progress: BatchProgress = await temporal.client.workflow
      .getHandle(workflowId)
      .query(screeningBatchProgressQuery);
    expect(progress).toEqual({ offset: 23, total: 23, screened: 22, rejected: 1, chunks: 8, generation: 4 });

    // Stored once per row: nothing screened twice, nothing skipped.
    const stored = await t.asOwner<{ row_number: number; n: string }>(
      `SELECT row_number, count(*) AS n FROM screening_results WHERE batch_id = $1 GROUP BY row_number ORDER BY row_number`,
      [workflowId],
    );
    expect(stored.rows.map((x) => Number(x.n))).toEqual(Array(22).fill(1));
    expect(stored.rows.map((x) => x.row_number)).toEqual(Array.from({ length: 22 }, (_, i) => i + 2));
  });
});
