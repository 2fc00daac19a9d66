/* eslint-disable @typescript-eslint/no-require-imports -- the service loads in the action (see lazily()) */
import type { Command } from 'commander';
import type { InvestigationState } from '../../contracts/alert-investigation';
import {
  INVESTIGATION_DECISIONS,
  InvestigationDecisionSchema,
} from '../../core/monitoring/investigation-decisions';
import type * as Investigations from '../../services/monitoring/investigations';
import { lazily } from '../lazy';
import { InputError } from '../../runtime/errors';
import { withContext, type CommandContext } from '../context';
import { resolvePrincipal } from '../principals';
import { printJson } from '../output';
import { EXIT, action } from '../run-command';
import { AS_HELP } from './tx';

// The investigation service talks to Temporal: it loads when an action runs, not for --help.
const investigations = () =>
  lazily<typeof Investigations>(
    () => require('../../services/monitoring/investigations'),
    () => import('../../services/monitoring/investigations.js'),
  );

/** Prints an investigation's state for a person. */
export function printInvestigation(
  s: InvestigationState,
  write: (l: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  write(`Investigation of alert ${s.alertId} (account ${s.accountId}): ${s.status.toUpperCase()}`);
  if (s.analyst) write(`  analyst    ${s.analyst} (assigned by ${s.assignedBy} at ${s.assignedAt})`);
  if (s.decision)
    write(
      `  decision   ${s.decision.decision} by ${s.decision.by} at ${s.decision.at}: ${s.decision.reason}`,
    );
  if (s.closedBy) write(`  closed     by ${s.closedBy} at ${s.closedAt}`);
  for (const e of s.escalations) write(`  ESCALATED  ${e.phase} overdue (due ${e.dueAt}) at ${e.at}`);
  write('  steps:');
  for (const st of s.steps) write(`    ${st.at}  ${st.step.padEnd(9)}  ${st.by.type}:${st.by.id}`);
}

type Opts = { as?: string; json?: boolean };

/** Runs an investigation command as the authenticated principal and prints the resulting state. */
function run(
  action_: 'alerts.assign' | 'alerts.decide' | 'alerts.close' | 'alerts.read',
  fn: (ctx: CommandContext, by: string) => Promise<InvestigationState>,
) {
  return (opts: Opts) =>
    withContext({ quiet: opts.json, temporal: true }, async (ctx) => {
      const by = (await resolvePrincipal(ctx, opts.as, action_)).id;
      const s = await fn(ctx, by);
      if (opts.json) printJson(s);
      else printInvestigation(s);
      return EXIT.ok;
    });
}

/** Registers `alerts assign|decide|close|investigation` on the `alerts` command. */
export function registerInvestigationCommands(alerts: Command): void {
  const deps = async (ctx: CommandContext) => ({
    client: await ctx.temporal(),
    taskQueue: ctx.config.TEMPORAL_TASK_QUEUE,
    db: ctx.db(),
  });
  alerts
    .command('assign')
    .description('assign an alert to an analyst (opens its investigation workflow if needed)')
    .argument('<alert_id>', 'the alert id')
    .requiredOption('--to <analyst>', 'a principal allowed to decide alerts')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action((id: string, opts: Opts & { to: string }) =>
        run('alerts.assign', async (ctx, by) =>
          (await investigations()).assignAlert(await deps(ctx), id, by, opts.to),
        )(opts),
      ),
    );
  alerts
    .command('decide')
    .description(`the assigned analyst's decision: ${INVESTIGATION_DECISIONS.join(' | ')}`)
    .argument('<alert_id>', 'the alert id')
    .argument('<decision>', INVESTIGATION_DECISIONS.join(' | '))
    .requiredOption('--reason <text>', 'why (recorded in the ledger)')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action((id: string, decision: string, opts: Opts & { reason: string }) => {
        const d = InvestigationDecisionSchema.safeParse(decision);
        if (!d.success) throw new InputError(`decision must be one of ${INVESTIGATION_DECISIONS.join(', ')}`);
        return run('alerts.decide', async (ctx, by) =>
          (await investigations()).decideAlert(await deps(ctx), id, by, d.data, opts.reason),
        )(opts);
      }),
    );
  alerts
    .command('close')
    .description('close a decided investigation (four eyes: not by the analyst who decided)')
    .argument('<alert_id>', 'the alert id')
    .option('--reason <text>', 'closing note (recorded in the ledger)')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action((id: string, opts: Opts & { reason?: string }) =>
        run('alerts.close', async (ctx, by) =>
          (await investigations()).closeAlert(await deps(ctx), id, by, opts.reason),
        )(opts),
      ),
    );
  alerts
    .command('investigation')
    .description("an alert's investigation: status, analyst, decision, escalations, every step")
    .argument('<alert_id>', 'the alert id')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action((id: string, opts: Opts) =>
        run('alerts.read', async (ctx) => (await investigations()).investigationState(await deps(ctx), id))(
          opts,
        ),
      ),
    );
}
