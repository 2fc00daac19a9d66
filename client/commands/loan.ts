/* eslint-disable @typescript-eslint/no-require-imports -- modules load in the action (see lazily()) */
import { readFileSync } from 'node:fs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Command } from 'commander';
import type * as LoanContract from '../../contracts/loan-origination';
import type { LoanState } from '../../contracts/loan-origination';
import { ConfigError, InputError } from '../../runtime/errors';
import { decodeUtf8 } from '../../core/utf8';
import type * as Loans from '../../services/loans/applications';
import type * as Simulators from '../../simulators';
import { withContext } from '../context';
import { lazily } from '../lazy';
import { info, printJson, printTable } from '../output';
import { AS_HELP, resolvePrincipal } from '../principals';
import { EXIT, action, printError } from '../run-command';
import { intOption, portOption } from '../options';
import { START_A_WORKER, workerPolling } from '../task-queue';

// The loan service, its workflow contract (Temporal's SDK) and the simulated providers (Fastify)
// load when an action runs, not for --help.
const loans = () =>
  lazily<typeof Loans>(
    () => require('../../services/loans/applications'),
    () => import('../../services/loans/applications.js'),
  );
const loanContract = () =>
  lazily<typeof LoanContract>(
    () => require('../../contracts/loan-origination'),
    () => import('../../contracts/loan-origination.js'),
  );
const simulators = () =>
  lazily<typeof Simulators>(
    () => require('../../simulators'),
    () => import('../../simulators/index.js'),
  );

/**
 * Like {@link action}, and prints the loan domain's refusals plainly: field-level messages for
 * an invalid application, "refused:" for state conflicts (exit 1), each on one `error:` line.
 */
export function loanAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return action(async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      const { InvalidApplicationError, LoanStateError } = await loans();
      if (err instanceof InvalidApplicationError) {
        const fields = err.fields.map((f) => `${f.field}: ${f.message}`).join('; ');
        printError(`rejected: the application is invalid, no workflow was started: ${fields}`);
        return EXIT.failed;
      }
      if (err instanceof LoanStateError) {
        printError(`refused: ${err.message}`);
        return EXIT.failed;
      }
      throw err;
    }
  });
}

const asOption = AS_HELP;

export function register(program: Command): void {
  const loan = program.command('loan').description('loan applications: start, follow, review');

  loan
    .command('start')
    .description(
      'validate an application file, store it and start its loanOrigination workflow (id = applicationId)',
    )
    .requiredOption('--file <path>', 'application JSON file')
    .option('--as <principal>', asOption)
    .option('--wait', 'wait for the decision (or for manual review) before returning')
    .option('--json', 'print JSON')
    .action(
      loanAction(async (opts: { file: string; as?: string; wait?: boolean; json?: boolean }) => {
        let bytes: Buffer;
        try {
          bytes = readFileSync(opts.file);
        } catch (err) {
          throw new InputError(
            `cannot read ${opts.file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
          );
        }
        const decoded = decodeUtf8(bytes, opts.file);
        if ('problem' in decoded) throw new InputError(decoded.problem);
        let raw: unknown;
        try {
          raw = JSON.parse(decoded.text);
        } catch {
          // Not the parser's message: it quotes the file's text (the applicant's personal data).
          throw new InputError(`cannot read ${opts.file}: it is not JSON`);
        }
        await withContext({ temporal: true, quiet: opts.json, span: 'loan start' }, async (ctx) => {
          const client = await ctx.temporal();
          const taskQueue = ctx.config.TEMPORAL_TASK_QUEUE;
          const polling = await workerPolling(client, taskQueue);
          // Waiting on a queue nobody polls would hang: refuse before anything is stored.
          if (opts.wait && !polling)
            throw new ConfigError(
              `no worker is polling task queue "${taskQueue}": start one ${START_A_WORKER}, or leave out --wait to submit anyway`,
            );
          const { submitLoanApplication } = await loans();
          const r = await submitLoanApplication(
            { db: ctx.db(), client, taskQueue: ctx.config.TEMPORAL_TASK_QUEUE, ledger: ctx.ledger() },
            raw,
            (await resolvePrincipal(ctx, opts.as, 'loan.start')).id,
          );
          let result: LoanState | undefined;
          if (opts.wait) result = await waitForDecisionOrReview(r.handle, client, taskQueue);
          if (opts.json)
            printJson({ applicationId: r.applicationId, runId: r.runId, duplicate: r.duplicate, result });
          else {
            info(
              r.duplicate
                ? `application ${r.applicationId} was already submitted: workflow run ${r.runId} (not started again)`
                : `application ${r.applicationId} submitted: workflow run ${r.runId}`,
            );
            if (result) {
              const rule = result.rules
                ? ` by rule ${result.rules.decidingRuleId ?? '-'}: ${result.rules.reason ?? ''}`
                : '';
              info(`status: ${result.status}${rule}`);
            }
            if (!polling)
              info(
                `note: no worker is polling task queue "${taskQueue}"; the application waits until one starts ${START_A_WORKER}`,
              );
            info(`follow it: ledgerflow loan status ${r.applicationId}`);
          }
        });
      }),
    );

  loan
    .command('status <applicationId>')
    .description("an application's status, rules decision, review and compensations")
    .option('--json', 'print JSON')
    .action(
      loanAction(async (id: string, opts: { json?: boolean }) => {
        await withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
          const { getLoanStatus } = await loans();
          const s = await getLoanStatus(
            { db: ctx.db('ledgerflow_reader'), client: await ctx.temporal() },
            id,
          );
          if (opts.json) return printJson(s);
          const st = s.state;
          const lines = [
            `application ${s.applicationId}: ${s.status}${s.decision ? ` (decision: ${s.decision} by ${s.decidedBy})` : ''}`,
            `  amount ${s.amount} ${s.currency}, submitted by ${s.submittedBy}`,
            `  workflow: ${s.workflow ? `${s.workflow.status} run ${s.workflow.runId}` : 'not in Temporal (archived?)'}`,
          ];
          if (st?.credit)
            lines.push(
              `  credit: score ${st.credit.creditScore}, defaults ${st.credit.activeDefaults}, inquiry ${st.credit.inquiryId}`,
            );
          if (st?.registry)
            lines.push(
              `  registry: ${st.registry.companyActive ? 'active' : 'inactive'}, ${st.registry.companyAgeYears} y, revenue ${st.registry.annualRevenue}`,
            );
          if (st?.screening)
            lines.push(
              `  screening: ${st.screening.partiesScreened} parties, ${st.screening.hits.length} hit(s) [${st.screening.engine}]`,
            );
          if (st?.rules)
            lines.push(
              `  rules ${st.rules.ruleSetId}@${st.rules.ruleSetVersion}: ${st.rules.outcome} by ${st.rules.decidingRuleId} (${st.rules.reason})`,
            );
          if (st?.status === 'awaiting_review' || st?.status === 'escalated')
            lines.push(
              `  awaiting review by one of: ${st.eligibleReviewers?.join(', ')}; auto-decline at ${st.reviewDueAt}`,
            );
          if (st?.review)
            lines.push(`  review: ${st.review.decision} by ${st.review.reviewerId}: ${st.review.reason}`);
          for (const c of st?.compensations ?? []) lines.push(`  compensation: ${c.action}: ${c.outcome}`);
          if (st?.error) lines.push(`  error: ${st.error}`);
          process.stdout.write(`${lines.join('\n')}\n`);
        });
      }),
    );

  loan
    .command('review <applicationId>')
    .description(
      'decide an application waiting for manual review (Temporal Update, validated by the workflow)',
    )
    .option('--approve', 'approve the application')
    .option('--decline', 'decline the application')
    .requiredOption('--reason <text>', 'why (recorded in the ledger)')
    .option('--as <principal>', asOption)
    .option('--json', 'print JSON')
    .action(
      loanAction(
        async (
          id: string,
          opts: { approve?: boolean; decline?: boolean; reason: string; as?: string; json?: boolean },
        ) => {
          if (Boolean(opts.approve) === Boolean(opts.decline))
            throw new InputError('give exactly one of --approve or --decline');
          await withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
            const { reviewLoan } = await loans();
            const state = await reviewLoan(
              { db: ctx.db(), client: await ctx.temporal() },
              id,
              (await resolvePrincipal(ctx, opts.as, 'loan.review')).id,
              opts.approve ? 'approve' : 'decline',
              opts.reason,
            );
            if (opts.json) printJson(state);
            else info(`application ${id}: ${state.status} (${state.decision?.reason ?? ''})`);
          });
        },
      ),
    );

  loan
    .command('list')
    .description('recent applications and their status')
    .option('--limit <n>', 'how many (1-1000)', intOption('--limit', 1, 1000), 50)
    .option('--json', 'print JSON')
    .action(
      loanAction(async (opts: { limit: number; json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const { listLoans } = await loans();
          const rows = await listLoans(ctx.db('ledgerflow_reader'), opts.limit);
          if (opts.json) return printJson(rows);
          printTable(rows, {
            application: (r) => r.id,
            status: (r) => r.status,
            decision: (r) => r.decision,
            'decided by': (r) => r.decidedBy,
            amount: (r) => `${r.amount} ${r.currency}`,
            'submitted by': (r) => r.submittedBy,
            created: (r) => r.createdAt.toISOString(),
          });
        });
      }),
    );

  loan
    .command('providers')
    .description('run the simulated business registry and credit bureau until Ctrl-C (for a separate worker)')
    .option('--registry-port <port>', 'registry port', portOption('--registry-port'), 4101)
    .option('--bureau-port <port>', 'credit bureau port', portOption('--bureau-port'), 4102)
    .option('--latency <ms>', 'added latency per response', intOption('--latency', 0, 60_000), 0)
    .action(
      action(async (opts: { registryPort: number; bureauPort: number; latency: number }) => {
        const { startProviders } = await simulators();
        const p = await startProviders({
          registryPort: opts.registryPort,
          bureauPort: opts.bureauPort,
          latencyMs: opts.latency,
        });
        info(`simulated providers running; start the worker with:`);
        info(
          `  LEDGERFLOW_REGISTRY_URL=${p.urls.registryUrl} LEDGERFLOW_BUREAU_URL=${p.urls.bureauUrl} npx ledgerflow worker`,
        );
        info(
          `faults: curl -X PUT ${p.urls.bureauUrl}/__admin/faults -H 'content-type: application/json' -d '{"fail5xxFirst":2}'`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await p.close();
      }),
    );
}

/**
 * Polls the workflow's state query until it is decided or waits for a reviewer. A query fails
 * when no worker answers it: if the worker went away, that is said in one line.
 */
async function waitForDecisionOrReview(
  handle: WorkflowHandle,
  client: Client,
  taskQueue: string,
): Promise<LoanState> {
  const { FINAL_STATUSES, loanStateQuery } = await loanContract();
  for (;;) {
    let state: LoanState;
    try {
      state = await handle.query(loanStateQuery);
    } catch (err) {
      if (await workerPolling(client, taskQueue)) throw err;
      throw new ConfigError(
        `no worker is polling task queue "${taskQueue}" any more: the application was submitted and continues when one starts ${START_A_WORKER}; follow it with "ledgerflow loan status ${handle.workflowId}"`,
      );
    }
    if (
      FINAL_STATUSES.has(state.status) ||
      state.status === 'awaiting_review' ||
      state.status === 'escalated'
    )
      return state;
    await new Promise((r) => setTimeout(r, 250));
  }
}
