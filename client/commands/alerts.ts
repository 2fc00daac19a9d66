import type { Command } from 'commander';
import type { Alert, RuleTrace } from '../../core/monitoring/alert';
import type { Measure } from '../../core/monitoring/rule';
import { getAlert, listAlerts } from '../../services/monitoring';
import { withContext } from '../context';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { intOption } from '../options';
import { AS_HELP, monitoringCall } from './tx';
import { registerInvestigationCommands } from './alert-investigation';

const measure = (m: Measure): string =>
  m === null
    ? 'n/a'
    : typeof m === 'number'
      ? String(m)
      : Object.entries(m)
          .map(([k, v]) => `${k} ${v ?? 'n/a'}`)
          .join(', ');

const SHOWN = 20;

/** Prints an alert for a person: which rules, which numbers, which thresholds, which transactions. */
export function printAlert(
  a: Alert,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  write(`Alert ${a.alert_id}: ${a.decision.toUpperCase()} (${a.typology}, score ${a.score})`);
  write(`  account       ${a.account_id}`);
  write(
    `  raised        ${a.created_at} by rule set v${a.rule_set_version}${a.mode === 'shadow' ? ' (shadow: not raised)' : ''}`,
  );
  write(`  triggered by  ${a.trigger_transaction_id} at ${a.snapshot.as_of}`);
  write(`  transactions  ${a.transaction_ids.join(', ')}`);
  write('  rules:');
  for (const r of a.rules as RuleTrace[])
    write(
      `    ${r.result ? 'BREACHED' : 'ok      '} ${r.rule_id} v${r.version}: value ${measure(r.value)}; threshold ${measure(r.threshold)}; params ${JSON.stringify(r.params)}`,
    );
  const txs = a.snapshot.transactions;
  write(
    `  snapshot      ${a.snapshot.window_start} .. ${a.snapshot.as_of}: ${a.snapshot.transaction_count} transactions` +
      (txs.length > SHOWN ? ` (latest ${SHOWN} shown)` : ''),
  );
  for (const t of txs.slice(-SHOWN))
    write(
      `    ${a.transaction_ids.includes(t.transaction_id) ? '*' : ' '} ${t.occurred_at}  ${t.transaction_id}  ${t.direction} ${t.channel} ${t.amount} ${t.currency}  ${t.counterparty_id}  ${t.country}`,
    );
}

export function register(program: Command): void {
  const alerts = program.command('alerts').description('transaction-monitoring alerts and their traces');
  alerts
    .command('list')
    .description('list alerts (every matching one; pages with --limit and --cursor)')
    .option('--account <account>', 'only this account')
    .option('--rule <rule>', 'only alerts where this rule was breached')
    .option('--shadow', 'alerts of shadow rule versions (recorded, not raised)')
    .option(
      '--limit <n>',
      'page size (1-10000; default: every matching alert)',
      intOption('--limit', 1, 10_000),
    )
    .option('--cursor <cursor>', 'continue after this cursor (from the previous page)')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          account?: string;
          rule?: string;
          shadow?: boolean;
          limit?: number;
          cursor?: string;
          as?: string;
          json?: boolean;
        }) =>
          withContext({ quiet: opts.json }, async (ctx) => {
            const reader = ctx.db('ledgerflow_reader');
            await monitoringCall(ctx, opts.as, 'alerts.read');
            const r = await listAlerts(reader, {
              account: opts.account,
              rule: opts.rule,
              mode: opts.shadow ? 'shadow' : 'live',
              limit: opts.limit,
              cursor: opts.cursor,
            });
            if (opts.json) printJson(r);
            else {
              printTable(r.alerts, {
                alert: (a) => a.alert_id,
                created: (a) => a.created_at,
                account: (a) => a.account_id,
                typology: (a) => a.typology,
                decision: (a) => a.decision,
                score: (a) => a.score,
                rules: (a) =>
                  a.rules
                    .filter((x) => x.result)
                    .map((x) => x.rule_id)
                    .join(', '),
                transactions: (a) => a.transaction_ids.length,
              });
              if (r.next_cursor) info(`more: --cursor ${r.next_cursor}`);
            }
            return EXIT.ok;
          }),
      ),
    );
  alerts
    .command('show')
    .description('show one alert: breached rules with their numbers and thresholds, transactions, snapshot')
    .argument('<alert_id>', 'the alert id')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json }, async (ctx) => {
          const reader = ctx.db('ledgerflow_reader');
          await monitoringCall(ctx, opts.as, 'alerts.read');
          const a = await getAlert(reader, id);
          if (!a) {
            process.stderr.write(`error: no alert ${id}\n`);
            return EXIT.failed;
          }
          if (opts.json) printJson(a);
          else printAlert(a);
          return EXIT.ok;
        }),
      ),
    );
  registerInvestigationCommands(alerts);
}
