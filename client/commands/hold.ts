import type { Command } from 'commander';
import { RetentionRejected } from '../../services/retention/errors';
import { listHolds, placeHold, releaseHold, type HoldScope } from '../../services/retention/holds';
import { InputError } from '../../runtime/errors';
import { withContext } from '../context';
import { AS_HELP, resolvePrincipal } from '../principals';
import { info, printJson, printTable } from '../output';
import { action } from '../run-command';

/** `ledgerflow hold place|release|list`: legal holds (no expiry; four-eyes release). */
export function register(program: Command): void {
  const hold = program.command('hold').description('legal holds: block retention purges until released');

  hold
    .command('place')
    .description('place a legal hold on a subject, a resource, a case or a whole data class')
    .option('--subject <id>', 'subject id (ledger subject_id)')
    .option('--resource <type:id>', 'resource, e.g. application:app-1')
    .option('--case <id>', 'case id (ledger case_id)')
    .option('--data-class <class>', 'a whole data class, e.g. ledger_payloads')
    .requiredOption('--case-id <id>', 'legal case / matter reference the hold belongs to')
    .requiredOption('--reason <text>', 'why')
    .option('--as <principal>', `principal placing the hold; ${AS_HELP}`)
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          subject?: string;
          resource?: string;
          case?: string;
          dataClass?: string;
          caseId: string;
          reason: string;
          as?: string;
          json?: boolean;
        }) => {
          const scopes = (
            [
              ['subject', opts.subject],
              ['resource', opts.resource],
              ['case', opts.case],
              ['data_class', opts.dataClass],
            ] as Array<[HoldScope, string | undefined]>
          ).filter(([, v]) => v !== undefined);
          if (scopes.length !== 1) {
            throw new InputError('give exactly one of --subject, --resource, --case, --data-class');
          }
          const [scope, value] = scopes[0] as [HoldScope, string];
          return withContext({ quiet: opts.json }, async (ctx) => {
            const placedBy = (await resolvePrincipal(ctx, opts.as, 'hold.place')).id;
            const h = await placeHold(ctx.ledger(), {
              scope,
              value,
              caseId: opts.caseId,
              reason: opts.reason,
              placedBy,
            });
            if (opts.json) printJson(h);
            else process.stdout.write(`${h.holdId}\n`);
            info(`legal hold ${h.holdId} placed on ${scope} ${value} (case ${h.caseId}) by ${h.placedBy}`);
          });
        },
      ),
    );

  hold
    .command('release <holdId>')
    .description('release a hold; must be a different principal than the one who placed it')
    .option('--as <principal>', `principal releasing the hold; ${AS_HELP}`)
    .requiredOption('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(
      action(async (holdId: string, opts: { as?: string; reason: string; json?: boolean }) =>
        withContext({ quiet: opts.json }, async (ctx) => {
          const releasedBy = (await resolvePrincipal(ctx, opts.as, 'hold.release')).id;
          const h = await releaseHold(ctx.ledger(), { holdId, releasedBy, reason: opts.reason });
          if (opts.json) printJson(h);
          info(`legal hold ${h.holdId} released by ${h.releasedBy} (placed by ${h.placedBy})`);
        }),
      ),
    );

  hold
    .command('list')
    .description('active holds (--all: with released ones)')
    .option('--all', 'include released holds')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { all?: boolean; json?: boolean }) =>
        withContext({ quiet: true }, async (ctx) => {
          const rows = await listHolds(ctx.db('ledgerflow_reader'), { all: opts.all });
          if (opts.json) printJson(rows);
          else
            printTable(rows, {
              hold: (h) => h.holdId,
              scope: (h) => `${h.scope} ${h.scopeType ? `${h.scopeType}:` : ''}${h.scopeValue}`,
              case: (h) => h.caseId,
              'placed by': (h) => h.placedBy,
              reason: (h) => h.reason,
              released: (h) => (h.releasedBy ? `by ${h.releasedBy}` : ''),
            });
        }),
      ),
    );
}

export { RetentionRejected };
