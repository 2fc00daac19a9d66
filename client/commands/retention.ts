import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { retentionPurgeWorkflow, type RetentionPurgeInput } from '../../contracts/retention';
import { startAuthorizedWorkflow } from '../../services/principals/workflow-starts';
import { DEFAULT_RETENTION_CONFIG, formatSeconds, resolveRetentionConfig } from '../../core/retention';
import { policyVersions, syncPolicies } from '../../services/retention/policies';
import { previewClasses } from '../../services/retention/preview';
import { InputError } from '../../runtime/errors';
import { withContext } from '../context';
import { AS_HELP, resolvePrincipal } from '../principals';
import { info, printJson, printTable } from '../output';
import { EXIT, action, printError } from '../run-command';
import { intOption } from '../options';

function loadConfigFile(file?: string): unknown {
  if (!file) return DEFAULT_RETENTION_CONFIG;
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError(`--config ${file}: ${(err as Error).message}`);
  }
}

function asOfArg(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InputError(`--as-of: "${v}" is not an ISO 8601 time`);
  return d.toISOString();
}

/** `ledgerflow retention policies|run`. */
export function register(program: Command): void {
  const ret = program.command('retention').description('retention policies and purges');

  ret
    .command('policies')
    .description(
      'show the retention policies (config vs stored); --apply stores changed ones as new versions',
    )
    .option('--config <file.json>', 'retention config (default: the embedded defaults)')
    .option(
      '--apply',
      'write changed policies (new versions + ledger events); locked ones can only be extended',
    )
    .option('--history', 'show every stored version')
    .option('--as <principal>', `who changes the policies (with --apply); ${AS_HELP}`)
    .option('--reason <text>', 'why (with --apply)', 'policy sync from config')
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          config?: string;
          apply?: boolean;
          history?: boolean;
          as?: string;
          reason: string;
          json?: boolean;
        }) => {
          const raw = loadConfigFile(opts.config);
          const resolved = resolveRetentionConfig(raw);
          if (!resolved.ok) {
            printError(`rejected: retention config: ${resolved.errors.join('; ')}`);
            return EXIT.failed;
          }
          return withContext({ quiet: opts.json }, async (ctx) => {
            const db = ctx.db();
            // Showing the policies needs nobody; storing them needs a principal allowed to.
            const changedBy = opts.apply
              ? (await resolvePrincipal(ctx, opts.as, 'policy.change')).id
              : '(dry run)';
            const sync = await syncPolicies(ctx.ledger(), raw, {
              changedBy,
              reason: opts.reason,
              dryRun: !opts.apply,
            });
            const stored = await policyVersions(db, opts.history);
            if (opts.json) {
              printJson({
                applied: Boolean(opts.apply),
                changes: sync.changes,
                stored,
                config: resolved.config,
              });
              return;
            }
            printTable(stored, {
              policy: (p) => p.policyId,
              v: (p) => p.version,
              classes: (p) => p.dataClasses.join(', '),
              period: (p) => formatSeconds(p.periodSeconds),
              trigger: (p) => p.trigger,
              action: (p) => p.action,
              locked: (p) => (p.locked ? 'locked' : ''),
              'legal min': (p) => (p.legalMinimumSeconds ? formatSeconds(p.legalMinimumSeconds) : ''),
              state: (p) => (p.retired ? 'retired' : 'active'),
            });
            if (sync.changes.length === 0) info('stored policies match the config');
            else
              info(
                `${opts.apply ? 'applied' : 'pending (use --apply)'}: ${sync.changes
                  .map((c) => `${c.kind} ${c.policyId} v${c.version}`)
                  .join(', ')}`,
              );
          });
        },
      ),
    );

  ret
    .command('run')
    .description('run the retention purge now (as the retentionPurge workflow); --dry-run only reports')
    .option('--dry-run', 'report what would be purged and what holds block, change nothing')
    .option('--as-of <iso>', 'expire as of this time (default: now; never in the future)')
    .option(
      '--batch-size <n>',
      'rows per batch transaction (1-50000)',
      intOption('--batch-size', 1, 50_000),
      1000,
    )
    .option('--class <dataClass...>', 'only these data classes')
    .option('--as <principal>', `who requests the purge; ${AS_HELP}`)
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          dryRun?: boolean;
          asOf?: string;
          batchSize: number;
          class?: string[];
          as?: string;
          json?: boolean;
        }) => {
          const asOf = asOfArg(opts.asOf);
          const batchSize = opts.batchSize;
          if (opts.dryRun) {
            return withContext({ quiet: opts.json }, async (ctx) => {
              const db = ctx.db('ledgerflow_reader');
              const at = asOf ?? new Date().toISOString();
              const rows = await previewClasses(db, { asOf: at, dataClasses: opts.class });
              if (opts.json) printJson({ dryRun: true, asOf: at, classes: rows });
              else {
                printTable(rows, {
                  'data class': (r) => r.data_class,
                  expired: (r) => r.expired,
                  'would purge': (r) => r.purgeable,
                  held: (r) => r.held,
                  'blocking holds': (r) =>
                    r.holds.map((h) => `${h.hold_id} (${h.case_id}): ${h.blocked}`).join('; '),
                  policies: (r) => r.policy_versions,
                });
                info(`dry run as of ${at}: nothing was changed`);
              }
            });
          }
          return withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
            const requestedBy = (await resolvePrincipal(ctx, opts.as, 'retention.purge')).id;
            const client = await ctx.temporal();
            const input: RetentionPurgeInput = {
              asOf,
              batchSize,
              dataClasses: opts.class,
              requestedBy,
            };
            const workflowId = `retention-manual-${new Date().toISOString().replace(/[:.]/g, '-')}`;
            info(
              `started retentionPurge ${workflowId} on task queue ${ctx.config.TEMPORAL_TASK_QUEUE} (needs a worker)`,
            );
            const handle = await startAuthorizedWorkflow(
              { client, ledger: ctx.ledger() },
              { principalId: requestedBy, action: 'retention.purge' },
              retentionPurgeWorkflow,
              { taskQueue: ctx.config.TEMPORAL_TASK_QUEUE, workflowId, args: [input] },
            );
            const r = await handle.result();
            if (opts.json) printJson(r);
            else {
              printTable(r.preview, {
                'data class': (p) => p.data_class,
                purged: (p) => r.purged[p.data_class] ?? 0,
                held: (p) => p.held,
                policies: (p) => p.policy_versions,
              });
              info(
                `purge ${r.purgeRunId} as of ${r.asOf}: certificate at ${r.certificate?.stream}#${r.certificate?.seq} (key ${r.certificate?.keyId})`,
              );
            }
          });
        },
      ),
    );
}
