import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pendingRunsQuery } from '../contracts/history-archiver';
import type { LoanState } from '../contracts/loan-origination';
import { ARCHIVER_WORKFLOW_TYPE, batchArchiverWorkflowId } from '../core/loan';
import { createLedger } from '../ledger/ledger';
import { archiveWorkflowRun, sealAndStore } from '../services/archive/archive-run';
import { useLoanTestEnv, sampleApplication, waitFor } from './support';

const env = useLoanTestEnv();

interface Archived {
  workflow_id: string;
  run_id: string;
  history: string;
  digest_sha256: string;
  ledger_seq: number;
}

const archivedRows = async (ids: string[]) =>
  (
    await env.t.asOwner<Archived>(
      `SELECT workflow_id, run_id, history, digest_sha256, ledger_seq FROM workflow_histories
        WHERE workflow_id = ANY($1) ORDER BY workflow_id`,
      [ids],
    )
  ).rows;

const seals = async (ids: string[]) =>
  (
    await env.t.asOwner<{ seq: string; resource_id: string; workflow_id: string; run_id: string }>(
      `SELECT seq, resource_id, context->>'workflow_id' AS workflow_id, context->>'run_id' AS run_id
         FROM ledger_events WHERE stream = 'provenance' AND event_type = 'workflow.history_archived'
          AND context->>'workflow_id' = ANY($1) ORDER BY seq`,
      [ids],
    )
  ).rows;

describe('provenance through the batch archiver', () => {
  it('archives every closed run of a burst (approved, declined, cancelled) through one archiver, sealed and cross-linked, once', async () => {
    const { stop } = await env.startWorker();
    try {
      const ids = ['batch-a', 'batch-b', 'batch-decline', 'batch-cancel'];
      const [a, b, decline, cancel] = await Promise.all([
        env.submit(sampleApplication('batch-a')),
        env.submit(sampleApplication('batch-b')),
        env.submit(sampleApplication('batch-decline', { nationalId: 'LOW-1234' })),
        env.submit(sampleApplication('batch-cancel', { registrationNumber: 'SANC-0042' }), {
          reviewSla: { escalateAfterMs: 60_000, autoDeclineAfterMs: 120_000 },
        }),
      ]);
      await waitFor(
        async () => (await cancel!.handle.query<LoanState>('loanState')).status === 'awaiting_review',
        60_000,
        'batch-cancel awaiting review',
      );
      await cancel!.handle.cancel();
      for (const sub of [a, b, decline, cancel]) await sub!.handle.result().catch(() => undefined);
      await waitFor(async () => (await archivedRows(ids)).length === ids.length, 60_000, 'four archives');

      const rows = await archivedRows(ids);
      const runIds = new Map([a, b, decline, cancel].map((s) => [s!.applicationId, s!.runId]));
      const sealed = await seals(ids);
      expect(sealed).toHaveLength(ids.length);
      for (const row of rows) {
        expect(row.run_id).toBe(runIds.get(row.workflow_id));
        expect(createHash('sha256').update(row.history).digest('hex')).toBe(row.digest_sha256);
        const seal = sealed.find((s) => Number(s.seq) === Number(row.ledger_seq));
        expect(seal).toMatchObject({
          resource_id: `sha256:${row.digest_sha256}`,
          workflow_id: row.workflow_id,
          run_id: row.run_id,
        });
        const last = (JSON.parse(row.history) as { events: Array<{ eventType: string }> }).events.at(-1);
        expect(last?.eventType).toBe(
          row.workflow_id === 'batch-cancel'
            ? 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED'
            : 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
        );
      }

      // One archiver for the task queue, no archiver child per run.
      const archiver = env.client.workflow.getHandle(batchArchiverWorkflowId(env.temporal.taskQueue));
      expect((await archiver.describe()).type).toBe('archiveClosedRuns');
      await waitFor(async () => (await archiver.query(pendingRunsQuery)) === 0, 30_000, 'nothing pending');
      const children: string[] = [];
      for await (const w of env.client.workflow.list({
        query: `WorkflowType = '${ARCHIVER_WORKFLOW_TYPE}' AND TaskQueue = '${env.temporal.taskQueue}'`,
      }))
        children.push(w.workflowId);
      expect(children).toEqual([]);

      // A run sealed again (a retried batch activity) writes nothing twice.
      const ledger = createLedger(env.db);
      for (const row of rows) {
        const history = JSON.parse(row.history) as { events: Array<{ eventTime: string }> };
        const again = await sealAndStore(
          ledger,
          {
            workflowId: row.workflow_id,
            runId: row.run_id,
            workflowType: 'loanOrigination',
            status: 'COMPLETED',
            closeTime: new Date(history.events.at(-1)!.eventTime),
            eventCount: history.events.length,
            json: row.history,
          },
          { source: 'worker', requireInitiator: true },
        );
        expect(again).toMatchObject({ created: false, ledgerSeq: row.ledger_seq, digest: row.digest_sha256 });
      }
      // `ledgerflow history archive` of a run the worker archived fetches it again: same archive.
      for (const row of rows) {
        const byHand = await archiveWorkflowRun(
          { ledger, client: env.client },
          { workflowId: row.workflow_id, runId: row.run_id, source: 'cli' },
        );
        expect(byHand).toMatchObject({
          created: false,
          ledgerSeq: row.ledger_seq,
          digest: row.digest_sha256,
        });
      }
      expect(await seals(ids)).toEqual(sealed);
    } finally {
      await stop();
    }
  }, 120_000);
});
