import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatTrustedKeys, signerFrom } from '../core/signing';
import { exportBundle, verifyBundle } from '../ledger/bundle';
import { readPinnedKeys, readTrustedCheckpointFile, readTrustedHeadFile } from '../ledger/keys';
import { PURGE_EVENT_STREAM, PURGE_EVENT_TYPE } from '../ledger/purge-events';
import { pythonVerdict } from './support/honest-bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeHold } from '../services/retention/holds';
import { syncPolicies } from '../services/retention/policies';
import { verifyPurgeCertificate } from '../core/retention/certificate';
import { retentionPurgeWorkflow } from '../contracts/retention';
import type { SignedPurgeCertificate } from '../core/retention/types';
import type { Database } from '../db/client';
import { loadSigner } from '../ledger/keys';
import { verifyLedger } from '../ledger/verify';
import { loadConfig } from '../runtime/config';
import {
  createTestDatabase,
  sampleEvent,
  type TestDatabase,
  TEST_RETENTION_CONFIG,
  addPrincipals,
  executeAuthorized,
  appendEvents,
  dbNow,
  useTempDataDir,
  createTemporalTestEnv,
  type TemporalTestEnv,
  waitUntilAged,
} from './support';
import { createLedger } from '../ledger/ledger';
import { PURGED_PAYLOADS } from './support/purged-payloads';

let t: TestDatabase;
let temporal: TemporalTestEnv;
let db: Database;
let stopWorker: () => Promise<void>;

beforeAll(async () => {
  useTempDataDir();
  t = await createTestDatabase();
  temporal = await createTemporalTestEnv();
  db = t.connect();
  const deps = { db, ledger: createLedger(db), purgerDb: t.connect('ledgerflow_purger') };
  stopWorker = (await temporal.startWorker(deps)).stop;
  await addPrincipals(t, ['alice', 'bob']);
  await syncPolicies(createLedger(db), TEST_RETENTION_CONFIG, { changedBy: 'alice', reason: 'test setup' });
});
afterAll(async () => {
  await stopWorker?.();
  await temporal?.close();
  await t?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  Number((await t.asOwner<{ n: string }>(sql, params)).rows[0]?.n ?? 0);

async function insertHistory(workflowId: string, closedAgoSeconds: number | null) {
  await t.asOwner(
    `INSERT INTO workflow_histories (workflow_id, run_id, workflow_type, status, closed_at, event_count, history, digest_sha256)
     VALUES ($1, $2, 'loanOrigination', 'COMPLETED', CASE WHEN $3::int IS NULL THEN NULL ELSE now() - make_interval(secs => $3::int) END,
             3, '{"events":[]}', 'x')`,
    [workflowId, `${workflowId}-run`, closedAgoSeconds],
  );
}

describe('retention purge workflow (real Temporal + PostgreSQL)', () => {
  it('purges expired items, keeps held and unexpired ones, signs a certificate; the ledger still verifies', async () => {
    await appendEvents(db, 10, {
      prefix: 'p',
      caseId: (i) => (i < 3 ? 'case-held' : `case-${i}`),
      subjectId: (i) => (i === 9 ? 'subject-held' : null),
    });
    const caseHold = await placeHold(createLedger(db), {
      scope: 'case',
      value: 'case-held',
      caseId: 'LIT-1',
      reason: 'litigation',
      placedBy: 'alice',
    });
    const subjectHold = await placeHold(createLedger(db), {
      scope: 'subject',
      value: 'subject-held',
      caseId: 'DSAR-7',
      reason: 'regulator inquiry',
      placedBy: 'alice',
    });
    await placeHold(createLedger(db), {
      scope: 'resource',
      value: 'workflow:wf-held',
      caseId: 'LIT-2',
      reason: 'dispute',
      placedBy: 'bob',
    });
    await insertHistory('wf-old', 3600);
    await insertHistory('wf-held', 3600);
    await insertHistory('wf-open', null);
    await waitUntilAged(t, 2_000);
    await insertHistory('wf-fresh', 0);
    const asOf = await dbNow(t);
    const payloadsBefore = await count('SELECT count(*) AS n FROM ledger_payloads');

    // Dry run: reports, changes nothing.
    const dry = await executeAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-dry',
      args: [{ asOf, dryRun: true }],
    });
    const dryPayloads = dry.preview.find((p) => p.data_class === 'ledger_payloads')!;
    // 3 case-held + 1 subject-held events, + the hold's own ledger event (its subject_id is the held subject).
    expect(dryPayloads.held).toBe(5);
    expect(dryPayloads.purgeable).toBeGreaterThanOrEqual(7);
    expect(dry.preview.find((p) => p.data_class === 'workflow_histories')).toMatchObject({
      purgeable: 1,
      held: 1,
    });
    // Only the dry run's start record was added.
    expect(await count('SELECT count(*) AS n FROM ledger_payloads')).toBe(payloadsBefore + 1);

    const r = await executeAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-run-1',
      args: [{ asOf, batchSize: 3, requestedBy: 'alice' }],
    });
    expect(r.purged.ledger_payloads!).toBe(dryPayloads.purgeable);
    expect(r.purged.workflow_histories).toBe(1);

    // Held and unexpired items are kept; expired ones are gone, with a purge record each.
    const left = await t.asOwner<{ case_id: string | null; subject_id: string | null }>(
      `SELECT e.case_id, e.subject_id FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
        WHERE e.stream = 'default' ORDER BY e.seq`,
    );
    expect(left.rows).toEqual([
      { case_id: 'case-held', subject_id: null },
      { case_id: 'case-held', subject_id: null },
      { case_id: 'case-held', subject_id: null },
      { case_id: 'case-9', subject_id: 'subject-held' },
    ]);
    expect(
      await count(`SELECT count(*) AS n FROM (${PURGED_PAYLOADS}) pp WHERE purge_run_id = 'retention-run-1'`),
    ).toBe(r.purged.ledger_payloads!);
    const histories = await t.asOwner<{ workflow_id: string }>(
      'SELECT workflow_id FROM workflow_histories ORDER BY 1',
    );
    expect(histories.rows.map((x) => x.workflow_id)).toEqual(['wf-fresh', 'wf-held', 'wf-open']);
    expect(await count('SELECT count(*) AS n FROM ledger_events')).toBeGreaterThanOrEqual(13); // events are never deleted

    // The certificate: in the ledger, signed, with counts, ranges, digests and blocking holds.
    const cert = await t.asOwner<{ payload: SignedPurgeCertificate; event_type: string }>(
      'SELECT e.event_type, p.payload FROM ledger_events e JOIN ledger_payloads p USING (stream, seq) WHERE e.stream = $1 AND e.seq = $2',
      [r.certificate!.stream, r.certificate!.seq],
    );
    const signed = cert.rows[0]!.payload;
    expect(cert.rows[0]!.event_type).toBe('retention.purge_certificate');
    const signer = loadSigner(loadConfig());
    expect(signed.signature.key_id).toBe(signer.keyId);
    expect(verifyPurgeCertificate(signed, signer.publicKey)).toBe(true);
    expect(
      verifyPurgeCertificate(
        { ...signed, certificate: { ...signed.certificate, as_of: 'x' } },
        signer.publicKey,
      ),
    ).toBe(false);
    const c = signed.certificate;
    expect(c.purge_run_id).toBe('retention-run-1');
    expect(c.as_of).toBe(asOf);
    const lp = c.classes.find((x) => x.dataClass === 'ledger_payloads')!;
    expect(lp).toMatchObject({ purged: r.purged.ledger_payloads!, policyVersions: 'test-payloads@v1' });
    expect(lp.batches).toBe(Math.ceil(r.purged.ledger_payloads! / 3));
    expect(lp.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(lp.firstKey).toBeTruthy();
    expect(lp.minTs! <= lp.maxTs!).toBe(true);
    const blocking = c.blocking_holds.map((h) => [h.data_class, h.hold_id, h.blocked]);
    expect(blocking).toEqual(
      expect.arrayContaining([
        ['ledger_payloads', caseHold.holdId, 3],
        ['ledger_payloads', subjectHold.holdId, 2],
      ]),
    );
    expect(c.blocking_holds.find((h) => h.data_class === 'workflow_histories')?.blocked).toBe(1);
    expect(c.totals).toEqual({ purged: r.purged.ledger_payloads! + 1, held: 6 });

    // The chain still verifies: events commit to payload digests, purges are recorded.
    const v = await verifyLedger(t.connect('ledgerflow_reader'));
    expect(v.detail).toBeNull();
    expect(v.valid).toBe(true);

    // A re-run purges nothing twice.
    const again = await executeAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-run-2',
      args: [{ asOf }],
    });
    expect(again.purged).toEqual({ ledger_payloads: 0, workflow_histories: 0 });
    expect(
      await count('SELECT count(*) AS n FROM retention_purge_batches WHERE purge_run_id = $1', [
        'retention-run-2',
      ]),
    ).toBe(0);
  });

  it('right after a purge, an export verifies offline with the worker key: the purge signs a head over its events', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-purge-export-'));
    try {
      await exportBundle(t.connect('ledgerflow_reader'), path.join(root, 'b'));
      const r = await verifyBundle(path.join(root, 'b'), { trustedKeys: readPinnedKeys(loadConfig()) });
      expect(r.detail).toBeNull();
      expect(r).toMatchObject({ valid: true, fault: null });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('after the purge, a bundle verifies offline in both verifiers once a signed root covers the purge events', async () => {
    const purgeEvents = await t.asOwner<{ resource_id: string }>(
      `SELECT resource_id FROM ledger_events WHERE stream = $1 AND event_type = $2 ORDER BY seq`,
      [PURGE_EVENT_STREAM, PURGE_EVENT_TYPE],
    );
    // One chained event per batch of 3 that removed payloads (the test above purged at least 7).
    expect(purgeEvents.rows.length).toBeGreaterThanOrEqual(3);
    const root = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-purge-bundle-'));
    try {
      const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
      const keysFile = path.join(root, 'keys.txt');
      writeFileSync(keysFile, formatTrustedKeys([signer]));
      const trustedKeys = new Map([[signer.keyId, signer]]);

      // Before any signed root covers the purge events, the missing payloads are unproven (the
      // workflows' start records in stream `access` are covered only by the worker key's checkpoints).
      await exportBundle(t.connect('ledgerflow_reader'), path.join(root, 'unsigned'));
      const unsigned = await verifyBundle(path.join(root, 'unsigned'), { trustedKeys });
      expect(unsigned.valid).toBe(false);
      expect(unsigned.streams.find((s) => s.stream === 'default')).toMatchObject({
        valid: false,
        fault: 'payload missing',
      });
      const pyUnsigned = await pythonVerdict(path.join(root, 'unsigned'), keysFile);
      expect(pyUnsigned).toMatchObject({
        exit: 1,
        result: { fault: unsigned.fault, stream: unsigned.stream, firstBadSeq: unsigned.firstBadSeq },
      });

      // The purge already signed a head with the worker key; a new event makes this key sign the next.
      const ours = createLedger(db, { signer });
      await ours.append(sampleEvent(), { stream: 'after-purge', idempotencyKey: 'after-purge-1' });
      const { head } = await ours.head();
      const headFile = path.join(root, 'head.txt');
      writeFileSync(headFile, head.text);
      await exportBundle(t.connect('ledgerflow_reader'), path.join(root, 'signed'));
      // The purge's own head and checkpoints are signed by the worker key: trusted here as well.
      const bothKeys = new Map([...readPinnedKeys(loadConfig()), ...trustedKeys]);
      writeFileSync(keysFile, formatTrustedKeys([...bothKeys.values()]));
      const signed = await verifyBundle(path.join(root, 'signed'), {
        trustedKeys: bothKeys,
        trustedHead: readTrustedHeadFile(headFile),
        trustedCheckpoint: readTrustedCheckpointFile(headFile),
      });
      expect(signed).toMatchObject({ valid: true, fault: null });
      expect(await pythonVerdict(path.join(root, 'signed'), keysFile, headFile)).toMatchObject({
        exit: 0,
        result: { valid: true, fault: null },
      });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('business class loan_applications: last-activity expiry, resource hold shared with the ledger', async () => {
    await syncPolicies(
      createLedger(db),
      {
        ...TEST_RETENTION_CONFIG,
        policies: [
          ...TEST_RETENTION_CONFIG.policies,
          {
            id: 'test-applications',
            dataClasses: ['loan_applications'],
            period: 'PT2S',
            trigger: 'last_activity',
            action: 'delete',
            description: 'test: applications 2 s after their last change',
          },
        ],
      },
      { changedBy: 'alice', reason: 'add applications' },
    );
    for (const [id, agoSeconds] of [
      ['app-old', 3600],
      ['app-held', 3600],
      ['app-active', 0],
    ] as const) {
      await t.asOwner(
        `INSERT INTO loan_applications (id, applicant, company_registration_number, amount, currency, term_months, purpose,
           file_digest, submitted_by, created_at, updated_at)
         VALUES ($1, '{"name": "Jane Doe"}', 'HRB 1', 1000, 'EUR', 12, 'test', 'x', 'alice',
                 now() - interval '1 day', now() - make_interval(secs => $2::int))`,
        [id, agoSeconds],
      );
    }
    await placeHold(createLedger(db), {
      scope: 'resource',
      value: 'application:app-held',
      caseId: 'LIT-3',
      reason: 'x',
      placedBy: 'alice',
    });
    const r = await executeAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-apps',
      args: [{ asOf: await dbNow(t), dataClasses: ['loan_applications'] }],
    });
    expect(r.purged).toEqual({ loan_applications: 1 });
    const left = await t.asOwner<{ id: string }>('SELECT id FROM loan_applications ORDER BY id');
    expect(left.rows.map((x) => x.id)).toEqual(['app-active', 'app-held']);
  });

  it('refuses an as-of in the future (nothing is purged early)', async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    const err = await executeAuthorized(db, 'alice', temporal.client, retentionPurgeWorkflow, {
      taskQueue: temporal.taskQueue,
      workflowId: 'retention-future',
      args: [{ asOf: future }],
    }).catch((e: unknown) => e);
    const messages: string[] = [];
    for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
      messages.push(String(e.message));
    }
    expect(messages.join(' | ')).toMatch(/in the future/);
  });
});
