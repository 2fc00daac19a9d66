import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chainVerificationWorkflow, VerificationFailure } from '../contracts/verification';
import { signerFrom } from '../core/signing';
import { splitWitnessLog } from '../core/witness';
import { createLedger, type Ledger } from '../ledger/ledger';
import type { AlarmDelivery } from '../services/posture/alarms';
import { planAlarms } from '../services/posture/alarms';
import { PostureSettingsSchema } from '../core/posture/settings';
import { directoryWitness, type WitnessStore } from '../services/witness/store';
import { createTestDatabase, sampleEvent, type TestDatabase } from './helpers';
import { waitFor } from './posture-helpers';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal-helpers';
import { executeAuthorized } from './support';

const SECRET = 'witness-test-webhook-secret';
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);

let t: TestDatabase;
let temporal: TemporalTestEnv;
let ledger: Ledger;
let workerLedger: Ledger;
let witness: WitnessStore;
let root: string;
let server: http.Server;
const received: Array<{ signatureValid: boolean; body: AlarmDelivery }> = [];

beforeAll(async () => {
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  root = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-witness-alarm-'));
  mkdirSync(path.join(root, 'witness'));
  witness = directoryWitness(path.join(root, 'witness'));
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      received.push({
        signatureValid: req.headers['x-ledgerflow-signature'] === expected,
        body: JSON.parse(raw) as AlarmDelivery,
      });
      res.writeHead(200).end();
    });
  });
  const url = await new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/alarms`),
    ),
  );
  const db = t.connect();
  ledger = createLedger(db, { signer, checkpointEvery: 4 });
  // The worker's ledger has no append-path cadence: a single append resolves before its cadence
  // checkpoint runs, which could then land after the test's rewrite below. Its heads come from
  // the witness step itself.
  workerLedger = createLedger(db, { signer, checkpointEvery: 0 });
  await temporal.startWorker({
    db,
    ledger: workerLedger,
    signer,
    pinnedKeys: () => new Map([[signer.keyId, signer]]),
    witness,
    posture: { webhook: { url, secret: SECRET } },
  });
});
afterAll(async () => {
  await temporal?.close();
  server?.close();
  await t?.drop();
  rmSync(root, { recursive: true, force: true });
});

const verify = () =>
  executeAuthorized(workerLedger.db, 'test', temporal.client, chainVerificationWorkflow, {
    taskQueue: temporal.taskQueue,
    workflowId: `verify-${randomBytes(4).toString('hex')}`,
    args: [{ requestedBy: 'test' }],
  });

const append = (n: number, tag: string, from = 0) =>
  ledger.appendMany(
    Array.from({ length: n }, (_, k) => ({
      event: sampleEvent({ payload: { i: from + k, tag } }),
      idempotencyKey: `alpha-${tag}-${from + k}`,
    })),
    { stream: 'alpha' },
  );

it('the scheduled verification publishes each head to the witness and a later fork fires the witness alarm (ledger event + signed webhook)', async () => {
  await append(6, 'honest');
  const first = await verify();
  expect(first.witness).toMatchObject({ status: 'empty', published: expect.any(Number), alarms: [] });
  await append(3, 'honest', 6);
  const second = await verify();
  expect(second.witness).toMatchObject({ status: 'consistent', alarms: [] });
  expect(second.witness?.published).toBeGreaterThan(first.witness?.published ?? 0);
  const log = path.join(root, 'witness', 'ledger-heads.log');
  expect(splitWitnessLog(readFileSync(log, 'utf8'))).toHaveLength(2);

  // A superuser rewrites the whole ledger after publication, event 3 changed, re-signed with the
  // real key: the chain verifies from scratch, only the witness can tell.
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query('SET session_replication_role = replica');
    for (const table of [
      'ledger_events',
      'ledger_payloads',
      'ledger_payload_purges',
      'ledger_checkpoints',
      'ledger_merkle_tiles',
      'ledger_heads',
    ])
      await c.query(`DELETE FROM ${table}`);
  } finally {
    await c.end();
  }
  await append(2, 'honest');
  await append(1, 'forged', 2);
  await append(8, 'honest', 3);
  const before = readFileSync(log, 'utf8');

  const err = await verify().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe(VerificationFailure.WitnessCheckFailed);
  expect(cause.message).toMatch(
    /^ledger witness check failed: fork: stream alpha: the stored events 1\.\.9 no longer hash to the published root \(history rewritten\) \(recorded at compliance#\d+\)$/,
  );
  // Nothing was published over the fork.
  expect(readFileSync(log, 'utf8')).toBe(before);
  const events = await t.asOwner<{ event_type: string; outcome: string; resource_id: string }>(
    `SELECT event_type, outcome, resource_id FROM ledger_events
      WHERE stream = 'compliance' AND event_type IN ('ledger.witness_checked', 'alarm.fired') ORDER BY seq`,
  );
  expect(events.rows).toEqual([
    { event_type: 'ledger.witness_checked', outcome: 'error', resource_id: 'ledger-heads' },
    { event_type: 'alarm.fired', outcome: 'error', resource_id: 'witness_fork' },
  ]);
  const delivered = await waitFor(
    async () => received.find((r) => r.body.alarm_id === 'witness_fork'),
    'the witness alarm delivery',
  );
  expect(delivered).toMatchObject({
    signatureValid: true,
    body: { kind: 'witness_fork', state: 'fired', severity: 'critical' },
  });
  expect(delivered.body.detail).toMatch(/^stream alpha: the stored events 1\.\.9 no longer hash/);
  // The posture check's alarm evaluation keeps it open (it does not resolve what it did not raise).
  const plan = await planAlarms({
    db: t.connect('ledgerflow_reader'),
    settings: PostureSettingsSchema.parse({}),
    asOf: new Date().toISOString(),
    postureFailures: [],
  });
  expect(
    plan.filter((c) => c.state === 'resolved').map((c) => ('alarm_id' in c ? c.alarm_id : '')),
  ).not.toContain('witness_fork');
});

it('a missing witness directory fails the verification run at once instead of retrying forever', async () => {
  const env = await createTemporalTestEnv();
  try {
    await env.startWorker({
      db: workerLedger.db,
      ledger: workerLedger,
      signer,
      pinnedKeys: () => new Map([[signer.keyId, signer]]),
      witness: directoryWitness(path.join(root, 'not-there')),
    });
    const err = await executeAuthorized(workerLedger.db, 'test', env.client, chainVerificationWorkflow, {
      taskQueue: env.taskQueue,
      workflowId: `verify-${randomBytes(4).toString('hex')}`,
      args: [{ requestedBy: 'test' }],
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
    expect(cause.type).toBe('WitnessUnavailable');
    expect(cause.message).toMatch(/^witness directory .*not-there does not exist/);
  } finally {
    await env.close();
  }
});
