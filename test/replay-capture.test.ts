import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { investigationWorkflowId } from '../contracts/alert-investigation';
import { onboardingSmokeWorkflow } from '../contracts/onboarding-smoke';
import { retentionPurgeWorkflow } from '../contracts/retention';
import { screeningBatchWorkflow, screeningListUpdateWorkflow } from '../contracts/screening';
import { chainVerificationWorkflow } from '../contracts/verification';
import { pendingRunsQuery } from '../contracts/history-archiver';
import { batchArchiverWorkflowId } from '../core/loan';
import { createLedger } from '../ledger/ledger';
import { loadLocalList } from '../providers/sanctions-files';
import { historyToJSON } from '../services/archive/history-json';
import { reviewLoan } from '../services/loans/applications';
import { ingestText } from '../services/monitoring';
import {
  assignAlert,
  closeAlert,
  decideAlert,
  investigationState,
  openInvestigations,
} from '../services/monitoring/investigations';
import { ensurePrincipal } from '../services/principals/principals';
import { syncPolicies } from '../services/retention/policies';
import { createScreeningService } from '../services/screening';
import { startListServer } from '../simulators/sanctions-list-server';
import {
  FAST,
  createLoanTestEnv,
  sampleApplication,
  type LoanTestEnv,
  TEST_RETENTION_CONFIG,
  addPrincipals,
  appendEvents,
  startAuthorized,
  dbNow,
  useTempDataDir,
  HISTORIES_DIR,
  WORKFLOW_IDS_FILE,
  waitFor,
} from './support';

/*
 * Captures the replay gate's fixtures: one history per workflow type and branch, run on the real
 * servers by the production worker. Run on demand only (it rewrites test/fixtures/histories/):
 *   CAPTURE_HISTORIES=1 npx vitest run test/replay-capture.test.ts   (adds missing fixtures only)
 *   CAPTURE_HISTORIES=overwrite ...                                   (re-captures all of them)
 * Capture again only when a patch is deprecated (see docs/architecture.md, "Versioning").
 */
const enabled = process.env.CAPTURE_HISTORIES === '1' || process.env.CAPTURE_HISTORIES === 'overwrite';
/** Existing fixtures are histories of older code: kept unless CAPTURE_HISTORIES=overwrite. */
const overwrite = process.env.CAPTURE_HISTORIES === 'overwrite';

let env: LoanTestEnv;
let stop: () => Promise<void>;
beforeAll(async () => {
  if (!enabled) return;
  useTempDataDir();
  env = await createLoanTestEnv();
  const worker = await env.temporal.startWorker({
    db: env.t.connect(),
    ledger: createLedger(env.t.connect()),
    purgerDb: env.t.connect('ledgerflow_purger'),
    providers: env.providers.urls,
    providerTimeoutMs: 2_000,
  });
  stop = worker.stop;
});
afterAll(async () => {
  await stop?.();
  await env?.close();
});

/** Saves the history of `handle` once it has closed (or as it is now, with `open`: a long-running archiver). */
async function save(name: string, handle: WorkflowHandle, opts: { open?: true } = {}): Promise<void> {
  if (!opts.open) await handle.result().catch(() => undefined);
  if (!overwrite && existsSync(path.join(HISTORIES_DIR, `${name}.json`))) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
  // Replay needs the original workflow id (the loan derives its archiver's id from it).
  const ids = existsSync(WORKFLOW_IDS_FILE)
    ? (JSON.parse(readFileSync(WORKFLOW_IDS_FILE, 'utf8')) as Record<string, string>)
    : {};
  ids[name] = handle.workflowId;
  const sorted = Object.fromEntries(Object.entries(ids).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(WORKFLOW_IDS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
}

const loanStatus = async (id: string) =>
  ((await env.client.workflow.getHandle(id).query('loanState')) as { status: string }).status;

describe.runIf(enabled)('capture workflow histories for the replay gate', () => {
  it('loanOrigination: approve, decline, review approve/decline, SLA auto-decline, compensation; archiver', async () => {
    // loan-approve and history-archiver (an archiver child per run) are histories of the code
    // before BATCH_ARCHIVE_PATCH; this code names its runs to the batch archiver instead.
    const approve = await env.submit(sampleApplication('cap-approve-batched'));
    await save('loan-approve-batch-archive', approve.handle);
    const archiver = env.client.workflow.getHandle(batchArchiverWorkflowId(env.temporal.taskQueue));
    await waitFor(async () => (await archiver.query(pendingRunsQuery)) === 0);
    await save('history-archiver-batch', archiver, { open: true });

    await save(
      'loan-decline',
      (await env.submit(sampleApplication('cap-decline', { nationalId: 'LOW-1234' }))).handle,
    );

    const slow = { ...FAST, reviewSla: { escalateAfterMs: 60_000, autoDeclineAfterMs: 120_000 } };
    for (const decision of ['approve', 'decline'] as const) {
      const id = `cap-review-${decision}`;
      const sub = await env.submit(sampleApplication(id, { registrationNumber: 'SANC-0042' }), slow);
      await waitFor(async () => (await loanStatus(id)) === 'awaiting_review');
      await reviewLoan({ db: env.db, client: env.client }, id, 'rev-1', decision, 'checked by hand');
      await save(`loan-review-${decision}`, sub.handle);
    }

    const sla = await env.submit(sampleApplication('cap-sla', { nationalId: 'MID-7781' }), {
      ...FAST,
      reviewSla: { escalateAfterMs: 500, autoDeclineAfterMs: 1_000 },
    });
    await save('loan-sla-auto-decline', sla.handle);

    env.providers.registry.faults.set({ malformedFirst: 5 });
    const failed = await env.submit(sampleApplication('cap-compensate'));
    await save('loan-compensation', failed.handle);
    env.providers.registry.faults.set({});

    const cancelled = await env.submit(
      sampleApplication('cap-cancel', { registrationNumber: 'SANC-0042' }),
      slow,
    );
    await waitFor(async () => (await loanStatus('cap-cancel')) === 'awaiting_review');
    await cancelled.handle.cancel();
    await save('loan-cancelled-saga', cancelled.handle);
  }, 120_000);

  it('retentionPurge (several batches) and chainVerification', async () => {
    await addPrincipals(env.t, ['alice']);
    await syncPolicies(createLedger(env.db), TEST_RETENTION_CONFIG, {
      changedBy: 'alice',
      reason: 'capture',
    });
    const written = await appendEvents(env.db, 7, { prefix: 'cap' });
    expect(written).toHaveLength(7);
    const start = Date.parse(await dbNow(env.t));
    await waitFor(async () => Date.parse(await dbNow(env.t)) > start + 2_100, 5_000);
    const purge = await startAuthorized(env.db, 'alice', env.client, retentionPurgeWorkflow, {
      taskQueue: env.temporal.taskQueue,
      workflowId: `cap-purge-${randomBytes(3).toString('hex')}`,
      args: [{ asOf: await dbNow(env.t), batchSize: 3, requestedBy: 'alice' }],
    });
    await save('retention-purge', purge);
    await appendEvents(env.db, 5, { prefix: 'cap-can' });
    const later = Date.parse(await dbNow(env.t));
    await waitFor(async () => Date.parse(await dbNow(env.t)) > later + 2_100, 5_000);
    const continued = await startAuthorized(env.db, 'alice', env.client, retentionPurgeWorkflow, {
      taskQueue: env.temporal.taskQueue,
      workflowId: `cap-purge-can-${randomBytes(3).toString('hex')}`,
      args: [
        { asOf: await dbNow(env.t), batchSize: 2, batchesPerRound: 1, roundsPerRun: 2, requestedBy: 'alice' },
      ],
    });
    await continued.result();
    // The first run: it continued as new with its cursor.
    await save(
      'retention-purge-continued-as-new',
      env.client.workflow.getHandle(continued.workflowId, continued.firstExecutionRunId),
    );
    const verify = await startAuthorized(env.db, 'alice', env.client, chainVerificationWorkflow, {
      taskQueue: env.temporal.taskQueue,
      workflowId: `cap-verify-${randomBytes(3).toString('hex')}`,
      args: [{ requestedBy: 'alice' }],
    });
    await save('chain-verification', verify);
  });

  it('screeningListUpdate (load, rescreen) and screeningBatch; onboardingSmoke', async () => {
    const server = await startListServer();
    try {
      const un = await loadLocalList(path.join(__dirname, 'fixtures', 'sanctions', 'un-consolidated'));
      server.publish('un', un.files);
      const update = (id: string) =>
        startAuthorized(env.db, 'alice', env.client, screeningListUpdateWorkflow, {
          taskQueue: env.temporal.taskQueue,
          workflowId: id,
          args: [{ source: 'un', url: `${server.url}/lists/un/` }],
        });
      await (await update('cap-list-1')).result();
      await createScreeningService({ db: env.db, ledger: createLedger(env.db) }).screenName({
        name: 'Germain Katanga',
        subjectId: 'cust-9',
      });
      server.publish('un', {
        'UN_consolidated.xml': un.files['UN_consolidated.xml']!.replace(
          '<FIRST_NAME>GERMAIN</FIRST_NAME>',
          '<FIRST_NAME>GERMAIN</FIRST_NAME><THIRD_NAME>JOSEPH</THIRD_NAME>',
        ),
      });
      await save('screening-list-update-rescreen', await update('cap-list-2'));
    } finally {
      await server.close();
    }
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'lf-capture-'));
    const file = path.join(tmp, 'customers.csv');
    const rows = [
      'id,name',
      'a1,THOMAS LUBANGA',
      'a2,',
      ...Array.from({ length: 12 }, (_, i) => `b${i},Customer ${i}`),
    ];
    writeFileSync(file, `${rows.join('\n')}\n`);
    const batch = await startAuthorized(env.db, 'alice', env.client, screeningBatchWorkflow, {
      taskQueue: env.temporal.taskQueue,
      workflowId: 'cap-batch',
      args: [{ file, chunkSize: 5 }],
    });
    await save('screening-batch', batch);
    const chunked = await startAuthorized(env.db, 'alice', env.client, screeningBatchWorkflow, {
      taskQueue: env.temporal.taskQueue,
      workflowId: 'cap-batch-chunks',
      args: [{ file, chunkSize: 3, chunksPerRun: 3 }],
    });
    await chunked.result();
    await save(
      'screening-batch-chunks-continued-as-new',
      env.client.workflow.getHandle(chunked.workflowId, chunked.firstExecutionRunId),
    );
    await save('screening-batch-chunks-last-run', chunked);

    const smoke = await startAuthorized(env.db, 'tester', env.client, onboardingSmokeWorkflow, {
      taskQueue: env.temporal.taskQueue,
      workflowId: 'cap-smoke',
      args: [{ applicationId: 'cap-smoke', requestedBy: 'tester' }],
    });
    await save('onboarding-smoke', smoke);
  });

  it('alertInvestigation: both SLA escalations, assignment, decision, four-eyes close', async () => {
    await ensurePrincipal(env.db, 'cap-lead', ['compliance']);
    await ensurePrincipal(env.db, 'cap-analyst', ['reviewer']);
    const cash = (id: string, at: string) =>
      JSON.stringify({
        transaction_id: id,
        occurred_at: at,
        account_id: 'cap-acc',
        counterparty_id: 'branch',
        amount: '9000.00',
        currency: 'EUR',
        direction: 'credit',
        channel: 'cash',
        country: 'FR',
      });
    const s = await ingestText(
      { db: env.db, ledger: createLedger(env.db) },
      { actor: { type: 'service', id: 'capture' } },
      ['T09', 'T10', 'T11'].map((h, i) => cash(`cap-tx-${i}`, `2026-03-02${h}:00:00Z`)).join('\n'),
    );
    const alertId = s.alert_ids[0]!;
    const deps = {
      client: env.client,
      taskQueue: env.temporal.taskQueue,
      db: env.db,
      sla: { assignWithinMs: 500, decideWithinMs: 500 },
    };
    await openInvestigations(deps, [alertId], { type: 'service', id: 'monitoring-feed' });
    const escalations = async (n: number) =>
      waitFor(
        async () => (await investigationState(deps, alertId)).escalations.length === n,
        30_000,
        'escalation',
      );
    await escalations(1);
    await assignAlert(deps, alertId, 'cap-lead', 'cap-analyst');
    await escalations(2);
    await decideAlert(deps, alertId, 'cap-analyst', 'file_report', 'structuring');
    await closeAlert(deps, alertId, 'cap-analyst').catch(() => undefined);
    await closeAlert(deps, alertId, 'cap-lead');
    await save('alert-investigation', env.client.workflow.getHandle(investigationWorkflowId(alertId)));
  });
});
