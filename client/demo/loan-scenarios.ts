import { randomBytes } from 'node:crypto';
import {
  getLoanStatus,
  InvalidApplicationError,
  reviewLoan,
  submitLoanApplication,
  type LoanRunOptions,
} from '../../services/loans/applications';
import { createLedger } from '../../ledger/ledger';
import { ensurePrincipalRecorded } from '../../services/principals/principals';
import { startProviders, type FaultConfig, type Officer, type RunningProviders } from '../../simulators';
import { buildTimeline } from '../history';
import { printTable } from '../output';
import { sampleApplication, seedInterimWatchlist } from '../../simulators/loan-fixtures';
import type { DemoContext, DemoScenario } from './types';

const OPERATOR = 'demo-operator';
const REVIEWER = 'demo-reviewer';
const DEMO_RETRY: LoanRunOptions['providerRetry'] = {
  initialIntervalMs: 200,
  maximumIntervalMs: 2_000,
  maximumAttempts: 8,
};

/**
 * Runs `fn` with fresh simulated providers. The demo's worker was started before them and asks
 * for the provider endpoints at every call: `ctx.useProviders` points it at these.
 */
async function withProviders<T>(
  ctx: DemoContext,
  faults: { registry?: FaultConfig; bureau?: FaultConfig; listedOfficer?: Officer },
  fn: (p: RunningProviders) => Promise<T>,
): Promise<T> {
  const providers = await startProviders({ latencyMs: 10, ...faults });
  ctx.useProviders(providers.urls);
  try {
    const ledger = createLedger(ctx.writer);
    await ensurePrincipalRecorded(
      ledger,
      { id: OPERATOR, displayName: 'Demo Operator', roles: ['operator'] },
      ctx.admin,
    );
    await ensurePrincipalRecorded(
      ledger,
      { id: REVIEWER, displayName: 'Demo Reviewer', roles: ['reviewer'] },
      ctx.admin,
    );
    await seedInterimWatchlist(ctx.writer);
    return await fn(providers);
  } finally {
    ctx.useProviders(undefined);
    await providers.close();
  }
}

/**
 * The officer the review scenario's company lists, so that screening sends it to review with
 * either engine: once a sanctions list is loaded (`lists load`), loans are screened against
 * it, not the interim watch list, so a person from the active list; else the interim one.
 */
async function listedOfficer(ctx: DemoContext): Promise<Officer | undefined> {
  const r = await ctx.reader.$client.query<{ name: string }>(
    `SELECT e.data->>'primaryName' AS name
       FROM screening_list_entries e JOIN screening_list_versions v ON v.id = e.version_id
      WHERE v.status = 'active' AND e.data->>'kind' = 'person'
      ORDER BY v.source, e.entry_id LIMIT 1`,
  );
  const name = r.rows[0]?.name;
  return name ? { name, role: 'director' } : undefined;
}

const demoId = (kind: string) => `loan-${kind}-${randomBytes(3).toString('hex')}`;

async function showLedger(ctx: DemoContext, applicationId: string): Promise<void> {
  const rows = await ctx.reader.$client.query(
    `SELECT stream, seq, event_type, context->>'step' AS step, (context->>'attempt')::int AS attempt, outcome
       FROM ledger_events WHERE case_id = $1 ORDER BY occurred_at, stream, seq`,
    [applicationId],
  );
  printTable(rows.rows, {
    ledger: (r) => `${r.stream}:${r.seq}`,
    event: (r) => r.event_type,
    step: (r) => r.step,
    attempt: (r) => r.attempt,
    outcome: (r) => r.outcome,
  });
}

export const loanCleanApproveScenario: DemoScenario = {
  name: 'loan: clean application, approved by the rules (then its archived history joined with the ledger)',
  async run(ctx) {
    await withProviders(ctx, {}, async () => {
      const id = demoId('approve');
      const sub = await submitLoanApplication(
        { db: ctx.writer, client: ctx.client, taskQueue: ctx.taskQueue },
        sampleApplication(id),
        OPERATOR,
        {
          providerRetry: DEMO_RETRY,
        },
      );
      const result = await sub.handle.result();
      ctx.log(
        `${id}: ${result.status} by ${result.decision?.decidedBy.type} (${result.decision?.ruleId}: ${result.decision?.reason})`,
      );
      await showLedger(ctx, id);
      for (let i = 0; i < 50; i++) {
        const r = await ctx.reader.$client.query('SELECT 1 FROM workflow_histories WHERE workflow_id = $1', [
          id,
        ]);
        if (r.rowCount) break;
        await new Promise((res) => setTimeout(res, 200));
      }
      const t = await buildTimeline({ db: ctx.reader, client: ctx.client }, id);
      ctx.log(
        `history of ${id}: ${t.entries.filter((e) => e.source === 'temporal').length} Temporal events, ${t.entries.filter((e) => e.source === 'ledger').length} ledger events` +
          (t.archived
            ? `; archived, sha256 ${t.archived.digest.slice(0, 16)}… sealed at ${t.archived.ledgerStream}:${t.archived.ledgerSeq}`
            : ''),
      );
      ctx.log(`see the joined timeline: npx ledgerflow history show ${id}`);
    });
  },
};

export const loanSanctionsReviewScenario: DemoScenario = {
  name: 'loan: sanctions hit on a company officer, sent to manual review, approved by a reviewer',
  async run(ctx) {
    await withProviders(ctx, { listedOfficer: await listedOfficer(ctx) }, async () => {
      const id = demoId('review');
      const deps = { db: ctx.writer, client: ctx.client, taskQueue: ctx.taskQueue };
      const sub = await submitLoanApplication(
        deps,
        sampleApplication(id, { registrationNumber: 'SANC-7731' }),
        OPERATOR,
        {
          providerRetry: DEMO_RETRY,
          reviewSla: { escalateAfterMs: 60_000, autoDeclineAfterMs: 120_000 },
        },
      );
      let status = await getLoanStatus(deps, id);
      for (let i = 0; i < 100 && status.state?.status !== 'awaiting_review'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = await getLoanStatus(deps, id);
      }
      const hit = status.state?.screening?.hits[0];
      if (status.state?.status !== 'awaiting_review' || !hit) {
        // Say what happened instead of reviewing an application that is not waiting for one.
        ctx.log(
          `${id}: ${status.state?.status ?? 'unknown'}, not sent to review (no screening hit); skipped`,
        );
        return;
      }
      ctx.log(
        `${id}: ${status.state?.status} (${status.state?.rules?.decidingRuleId}); hit: ${hit?.partyRole} #${hit?.partyIndex} on ${hit?.listName} ${hit?.entryId} score ${hit?.score}`,
      );
      try {
        await reviewLoan(deps, id, OPERATOR, 'approve', 'I submitted it myself');
      } catch (err) {
        ctx.log(`  review by ${OPERATOR} refused: ${(err as Error).message}`);
      }
      const state = await reviewLoan(
        deps,
        id,
        REVIEWER,
        'approve',
        'officer is a namesake: birth date and nationality differ',
      );
      ctx.log(`  review by ${REVIEWER}: ${state.status} (${state.decision?.reason})`);
      await sub.handle.result();
      await showLedger(ctx, id);
    });
  },
};

export const loanProviderOutageScenario: DemoScenario = {
  name: 'loan: provider outage (bureau 503 x3, registry 429 + Retry-After) recovered by retries',
  async run(ctx) {
    await withProviders(
      ctx,
      { bureau: { fail5xxFirst: 3 }, registry: { rateLimitFirst: 1, retryAfterSeconds: 1 } },
      async (p) => {
        const id = demoId('outage');
        const sub = await submitLoanApplication(
          { db: ctx.writer, client: ctx.client, taskQueue: ctx.taskQueue },
          sampleApplication(id),
          OPERATOR,
          {
            providerRetry: DEMO_RETRY,
          },
        );
        const result = await sub.handle.result();
        ctx.log(
          `${id}: ${result.status}; the bureau opened ${p.bureau.inquiries.size} inquiry for ${p.bureau.faults.calls.length} calls with one Idempotency-Key`,
        );
        const rows = await ctx.reader.$client.query(
          `SELECT e.seq, (e.context->>'attempt')::int AS attempt, e.resource_id AS provider, p.payload
           FROM ledger_events e JOIN ledger_payloads p USING (stream, seq)
          WHERE e.stream = 'telemetry' AND e.case_id = $1 ORDER BY e.seq`,
          [id],
        );
        printTable(rows.rows, {
          telemetry: (r) => `telemetry:${r.seq}`,
          provider: (r) => r.provider,
          attempt: (r) => r.attempt,
          status: (r) => r.payload.response.status,
          ms: (r) => r.payload.response.duration_ms,
          'retry-after': (r) => r.payload.response.retry_after_s,
        });
      },
    );
  },
};

export const loanInvalidInputScenario: DemoScenario = {
  name: 'loan: invalid application rejected before any workflow starts',
  async run(ctx) {
    await withProviders(ctx, {}, async () => {
      const id = demoId('invalid');
      const file = sampleApplication(id);
      const bad = {
        ...file,
        applicant: { ...file.applicant, dateOfBirth: '31/02/1984', country: 'Germany' },
        loan: { ...file.loan, amount: -5 },
      };
      try {
        await submitLoanApplication(
          { db: ctx.writer, client: ctx.client, taskQueue: ctx.taskQueue },
          bad,
          OPERATOR,
        );
        ctx.log('unexpected: accepted');
      } catch (err) {
        if (!(err instanceof InvalidApplicationError)) throw err;
        ctx.log(`${id}: rejected, field by field:`);
        for (const f of err.fields) ctx.log(`  ${f.field}: ${f.message}`);
      }
      const started = await ctx.client.workflow
        .getHandle(id)
        .describe()
        .then(
          () => true,
          () => false,
        );
      const stored = await ctx.reader.$client.query('SELECT 1 FROM loan_applications WHERE id = $1', [id]);
      ctx.log(`  workflow started: ${started}; rows stored: ${stored.rowCount}`);
    });
  },
};

/** The loan scenarios of `ledgerflow demo`, in order. */
export const loanScenarios: DemoScenario[] = [
  loanCleanApproveScenario,
  loanSanctionsReviewScenario,
  loanProviderOutageScenario,
  loanInvalidInputScenario,
];
