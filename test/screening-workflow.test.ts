import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { createScreeningActivities } from '../activities/screening';
import { screeningBatchWorkflow, screeningListUpdateWorkflow } from '../contracts/screening';
import { executeWorkflow } from '../contracts/workflow-ref';
import type { Database } from '../db/client';
import { loadLocalList } from '../providers/sanctions-files';
import { startListServer, type ListServer } from '../simulators/sanctions-list-server';
import { createTestDatabase, type TestDatabase } from './helpers';
import { createLedger } from '../ledger/ledger';
import { createScreeningService } from '../services/screening';

const FIX = path.join(__dirname, 'fixtures', 'sanctions');
let t: TestDatabase;
let db: Database;
let client: Client;
let connection: Connection;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let server: ListServer;
let tmp: string;
const taskQueue = `screening-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed by another test in this process
  }
  t = await createTestDatabase();
  db = t.connect();
  server = await startListServer();
  tmp = await mkdtemp(path.join(tmpdir(), 'lf-screening-wf-'));
  const address = inject('temporalAddress');
  connection = await Connection.connect({ address });
  client = new Client({ connection, namespace: 'default' });
  native = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: await bundleWorkflowCode({
      workflowsPath: path.join(__dirname, '..', 'workflows', 'screening.ts'),
      logger: new DefaultLogger('WARN'),
    }),
    activities: createScreeningActivities({
      db,
      ledger: createLedger(db),
      download: { attempts: 2, backoffMs: 10, timeoutMs: 1000 },
    }),
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => undefined);
  await native?.close().catch(() => undefined);
  await connection?.close().catch(() => undefined);
  await server?.close();
  await t?.drop();
});

describe('screening workflows', () => {
  it('loads a list from the server, then re-screens known customers against the changed entries only', async () => {
    const un = await loadLocalList(path.join(FIX, 'un-consolidated'));
    server.publish('un', un.files);
    const first = await executeWorkflow(client, screeningListUpdateWorkflow, {
      taskQueue,
      workflowId: `lists-un-${randomBytes(3).toString('hex')}`,
      args: [{ source: 'un', url: `${server.url}/lists/un/` }],
    });
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
    const second = await executeWorkflow(client, screeningListUpdateWorkflow, {
      taskQueue,
      workflowId: `lists-un-${randomBytes(3).toString('hex')}`,
      args: [{ source: 'un', url: `${server.url}/lists/un/` }],
    });
    expect(second.load).toMatchObject({ status: 'loaded', changed: 1, added: 0 });
    expect(second.rescreen).toMatchObject({ changedEntries: 1, subjects: 2 });
    expect(second.rescreen!.resultIds).toHaveLength(1);
    // The publisher goes down: the workflow completes, the last good version stays.
    server.faults.down = true;
    server.publish('un', { 'UN_consolidated.xml': `${xml}\n` });
    const third = await executeWorkflow(client, screeningListUpdateWorkflow, {
      taskQueue,
      workflowId: `lists-un-${randomBytes(3).toString('hex')}`,
      args: [{ source: 'un', url: `${server.url}/lists/un/` }],
    });
    server.faults.down = false;
    expect(third.load.status).toBe('download_failed');
    expect(third.rescreen).toBeUndefined();
    expect(third.load.active!.id).toBe(second.load.version!.id);
  });

  it('screens a file as a workflow with heartbeats and writes the report', async () => {
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
    const r = await executeWorkflow(client, screeningBatchWorkflow, {
      taskQueue,
      workflowId,
      args: [{ file, chunkSize: 5, outDir: path.join(tmp, 'out') }],
    });
    expect(r).toMatchObject({ batchId: workflowId, totalRows: 33, screened: 32, rejected: 1 });
    expect(r.decisions.block + r.decisions.review).toBeGreaterThanOrEqual(1);
    expect(r.reportFiles!.csv).toMatch(/report\.csv$/);
  });
});
