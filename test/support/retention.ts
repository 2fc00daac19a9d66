import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Database } from '../../db/client';
import { createLedger } from '../../ledger/ledger';
import type { RetentionConfigInput } from '../../core/retention';
import type { TestDatabase } from './database';
import { waitFor } from './wait';

/** Short periods for tests; legal minimums declared as 1 s so the 2 s policies pass. */
export const TEST_RETENTION_CONFIG: RetentionConfigInput = {
  legalMinimums: { ledger_payloads: 'PT1S', workflow_histories: 'PT1S' },
  policies: [
    {
      id: 'test-payloads',
      dataClasses: ['ledger_payloads'],
      period: 'PT2S',
      trigger: 'created',
      action: 'purge_payload',
      description: 'test: payloads 2 s',
    },
    {
      id: 'test-histories',
      dataClasses: ['workflow_histories'],
      period: 'PT2S',
      trigger: 'closed',
      action: 'delete',
      description: 'test: histories 2 s after close',
    },
  ],
};

/** Signing keys for certificates and checkpoints in a temporary data dir (never the shared one). */
export function useTempDataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-retention-'));
  process.env.LEDGERFLOW_DATA_DIR = dir;
  return dir;
}

export async function addPrincipals(t: TestDatabase, ids: string[]): Promise<void> {
  for (const id of ids) {
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ($1, $1, '{compliance}', 'test') ON CONFLICT DO NOTHING`,
      [id],
    );
  }
}

export async function appendEvents(
  db: Database,
  n: number,
  opts: {
    prefix: string;
    stream?: string;
    caseId?: (i: number) => string | null;
    subjectId?: (i: number) => string | null;
  },
) {
  return createLedger(db).appendMany(
    Array.from({ length: n }, (_, i) => ({
      idempotencyKey: `${opts.prefix}-${i}`,
      event: {
        event_type: 'test.personal_data_recorded',
        actor: { type: 'service' as const, id: 'test' },
        resource: { type: 'application', id: `${opts.prefix}-${i}` },
        action: 'record',
        outcome: 'success' as const,
        case_id: opts.caseId?.(i) ?? null,
        subject_id: opts.subjectId?.(i) ?? null,
        payload: { name: `Person ${i}`, note: 'personal data' },
      },
    })),
    { stream: opts.stream ?? 'default' },
  );
}

/**
 * Waits until everything recorded so far (ledger events, closed histories) is older than `ageMs`
 * on the database clock, which is the clock the retention policies expire by.
 */
export async function waitUntilAged(t: TestDatabase, ageMs: number): Promise<void> {
  const r = await t.asOwner<{ latest: Date | null }>(
    `SELECT greatest((SELECT max(occurred_at) FROM ledger_events), (SELECT max(closed_at) FROM workflow_histories)) AS latest`,
  );
  const latest = r.rows[0]?.latest?.getTime() ?? 0;
  await waitFor(
    async () => Date.parse(await dbNow(t)) > latest + ageMs,
    ageMs + 10_000,
    `records older than ${ageMs} ms`,
    50,
  );
}

/** The database clock, as an ISO string (as-of times must not be ahead of it). */
export async function dbNow(t: TestDatabase): Promise<string> {
  const r = await t.asOwner<{ now: Date }>('SELECT clock_timestamp() AS now');
  return r.rows[0]!.now.toISOString();
}

/** Waits until a schedule has taken `n` actions and returns the latest run's handle. */
export async function waitForScheduleRun(client: Client, scheduleId: string, n: number, timeoutMs = 30_000) {
  let run: { workflowId: string; firstExecutionRunId: string } | undefined;
  await waitFor(
    async () => {
      const d = await client.schedule.getHandle(scheduleId).describe();
      const last = d.info.recentActions[d.info.recentActions.length - 1];
      if (d.info.numActionsTaken >= n && last) run = last.action.workflow;
      return run !== undefined;
    },
    timeoutMs,
    `schedule ${scheduleId} to take action ${n}`,
    200,
  );
  return client.workflow.getHandle(run!.workflowId, run!.firstExecutionRunId);
}
