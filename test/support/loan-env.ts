import { afterAll, beforeAll } from 'vitest';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { loanOrigination } from '../../workflows/loan-origination';
import type { LoanApplicationFile } from '../../core/loan-application-file';
import type { Database } from '../../db/client';
import { startProviders, type RunningProviders } from '../../simulators';
import { sampleApplication, seedInterimWatchlist } from '../../simulators/loan-fixtures';
import { submitLoanApplication, type LoanRunOptions } from '../../services/loans/applications';
import { ensurePrincipal } from '../../services/principals/principals';
import { createLedger } from '../../ledger/ledger';
import { createTestDatabase, type TestDatabase } from './database';
import { createTemporalTestEnv, type TemporalTestEnv } from './temporal';

/** Short retries and SLAs for tests on the real dev server. */
export const FAST: LoanRunOptions = {
  providerRetry: { initialIntervalMs: 100, maximumIntervalMs: 1_000, maximumAttempts: 8 },
};

export interface LoanTestEnv {
  t: TestDatabase;
  temporal: TemporalTestEnv;
  providers: RunningProviders;
  db: Database;
  client: Client;
  startWorker(opts?: { providerTimeoutMs?: number }): Promise<{ worker: Worker; stop(): Promise<void> }>;
  submit(
    file: LoanApplicationFile,
    options?: LoanRunOptions,
    as?: string,
  ): ReturnType<typeof submitLoanApplication>;
  /** Ledger events of a case, all streams, in commit order. */
  events(caseId: string): Promise<
    Array<{
      stream: string;
      event_type: string;
      idempotency_key: string;
      attempt: number;
      payload: Record<string, unknown>;
    }>
  >;
  close(): Promise<void>;
}

/** One database, task queue, provider pair and principals (op-1 operator, rev-1/rev-2 reviewers) per test file. */
export async function createLoanTestEnv(): Promise<LoanTestEnv> {
  const t = await createTestDatabase();
  const temporal = await createTemporalTestEnv();
  const providers = await startProviders();
  const db = t.connect();
  await ensurePrincipal(db, 'op-1', ['operator']);
  await ensurePrincipal(db, 'rev-1', ['reviewer']);
  await ensurePrincipal(db, 'rev-2', ['reviewer']);
  await seedInterimWatchlist(db);
  return {
    t,
    temporal,
    providers,
    db,
    client: temporal.client,
    startWorker: (opts = {}) =>
      temporal.startWorker({
        ...(() => {
          const wdb = t.connect();
          return { db: wdb, ledger: createLedger(wdb) };
        })(),
        providers: providers.urls,
        providerTimeoutMs: opts.providerTimeoutMs ?? 2_000,
      }),
    submit: (file, options = FAST, as = 'op-1') =>
      submitLoanApplication(
        { db, client: temporal.client, taskQueue: temporal.taskQueue },
        file,
        as,
        options,
      ),
    async events(caseId) {
      const r = await t.asOwner(
        `SELECT e.stream, e.event_type, e.idempotency_key, (e.context->>'attempt')::int AS attempt, p.payload
           FROM ledger_events e LEFT JOIN ledger_payloads p USING (stream, seq)
          WHERE e.case_id = $1 ORDER BY e.occurred_at, e.stream, e.seq`,
        [caseId],
      );
      return r.rows as never;
    },
    async close() {
      await temporal.close();
      await providers.close();
      await t.drop();
    },
  };
}

export { sampleApplication, loanOrigination };

/**
 * The loan environment of one test file: created before its tests, closed after them. The
 * returned object forwards to it (use it inside tests and hooks only).
 */
export function useLoanTestEnv(): LoanTestEnv {
  let env: LoanTestEnv | undefined;
  beforeAll(async () => {
    env = await createLoanTestEnv();
  });
  afterAll(() => env?.close());
  return new Proxy({} as LoanTestEnv, {
    get(_, key) {
      if (!env) throw new Error('the loan test environment is used before beforeAll created it');
      return env[key as keyof LoanTestEnv];
    },
  });
}
