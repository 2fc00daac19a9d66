import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DEFAULT_RULESET } from '../../core/monitoring/config';
import {
  addRuleVersion,
  listRuleVersions,
  promoteRuleVersion,
  replay,
  type MonitoringDeps,
} from '../../services/monitoring';
import { InputError } from '../../runtime/errors';
import { withContext, type CommandContext } from '../context';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { intOption } from '../options';
import { AS_HELP, monitoringCall } from './tx';

const deps = (ctx: CommandContext): MonitoringDeps => ({ db: ctx.db(), ledger: ctx.ledger() });

export function register(program: Command): void {
  const rules = program
    .command('rules')
    .description('transaction-monitoring rule-set versions: shadow, promote, replay');
  rules
    .command('list')
    .description('rule-set versions and their mode (live, shadow, retired)')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json }, async (ctx) => {
          await monitoringCall(ctx, opts.as, 'alerts.read');
          const all = await listRuleVersions(deps(ctx));
          if (opts.json) printJson(all);
          else
            printTable(all, {
              version: (v) => v.version,
              mode: (v) => v.mode,
              rules: (v) =>
                Object.entries(v.ruleSet.rules)
                  .filter(([, r]) => r.enabled)
                  .map(([id, r]) => `${id} v${r.version}`)
                  .join(', '),
              typologies: (v) => v.ruleSet.typologies.map((t) => t.id).join(', '),
              created: (v) => `${v.createdAt} by ${v.createdBy}`,
            });
          return EXIT.ok;
        }),
      ),
    );
  rules
    .command('default')
    .description('print the embedded default rule set (a starting point for a new version)')
    .action(action(async () => printJson(DEFAULT_RULESET)));
  rules
    .command('add')
    .description('add a rule-set version from a JSON file; it runs in shadow (alerts recorded, not raised)')
    .argument('<file>', 'rule set JSON (see "ledgerflow rules default")')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (file: string, opts: { as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json }, async (ctx) => {
          const call = await monitoringCall(ctx, opts.as, 'rules.change');
          let raw: unknown;
          try {
            raw = JSON.parse(await readFile(file, 'utf8'));
          } catch (err) {
            throw new InputError(`cannot read ${file} as JSON: ${(err as Error).message.split('\n')[0]}`);
          }
          const v = await addRuleVersion(deps(ctx), call, raw);
          if (opts.json) printJson(v);
          else info(`rule set v${v.version} added in shadow mode`);
          return EXIT.ok;
        }),
      ),
    );
  rules
    .command('promote')
    .description('make a rule-set version live (the live one is retired)')
    .argument('<version>', 'version number')
    .option('--as <principal>', AS_HELP)
    .action(
      action(async (version: string, opts: { as?: string }) =>
        withContext({}, async (ctx) => {
          const call = await monitoringCall(ctx, opts.as, 'rules.change');
          const v = await promoteRuleVersion(deps(ctx), call, Number(version));
          info(`rule set v${v.version} is live`);
          return EXIT.ok;
        }),
      ),
    );
  rules
    .command('replay')
    .description(
      're-run stored transactions through a version and print the alert diff against the live alerts',
    )
    .requiredOption('--from <time>', 'ISO 8601 start (inclusive, event time)')
    .requiredOption('--to <time>', 'ISO 8601 end (exclusive)')
    .requiredOption(
      '--version <n>',
      'rule-set version to replay',
      intOption('--version', 1, Number.MAX_SAFE_INTEGER),
    )
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { from: string; to: string; version: number; as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json }, async (ctx) => {
          await monitoringCall(ctx, opts.as, 'alerts.read');
          const version = opts.version;
          const r = await replay(deps(ctx), { from: opts.from, to: opts.to, version });
          if (opts.json) printJson(r);
          else {
            info(
              `replayed ${r.transactions} transactions through v${r.version}: ${r.replay_alerts} alerts; live v${r.live_version}: ${r.live_alerts}; ${r.diff.length} differences`,
            );
            if (r.diff.length)
              printTable(r.diff, {
                change: (x) => x.change,
                account: (x) => x.account_id,
                typology: (x) => x.typology,
                trigger: (x) => x.trigger_transaction_id,
                live: (x) => (x.live ? `${x.live.decision} ${x.live.score}` : ''),
                replay: (x) =>
                  x.replay
                    ? `${x.replay.decision} ${x.replay.score} (${x.replay.fired_rules.join(', ')})`
                    : '',
              });
          }
          return EXIT.ok;
        }),
      ),
    );
}
