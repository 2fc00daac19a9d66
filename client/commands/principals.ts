import type { Command } from 'commander';
import { withContext } from '../context';
import { info, printJson, printTable } from '../output';
import { addPrincipal, listPrincipals } from '../../services/principals/principals';
import { PRINCIPAL_ENV, actingPrincipalId } from '../principals';
import { loanAction } from './loan';

export function register(program: Command): void {
  const p = program.command('principals').description('who may act: operators, reviewers, admins');
  p.command('add <id>')
    .description(
      `add a principal (the first one bootstraps; later ones need --as an admin, or $${PRINCIPAL_ENV})`,
    )
    .requiredOption('--roles <roles>', 'comma-separated: admin, operator, reviewer')
    .option('--name <displayName>', 'display name (default: the id)')
    .option('--as <principal>', 'acting admin')
    .option('--json', 'print JSON')
    .action(
      loanAction(async (id: string, opts: { roles: string; name?: string; as?: string; json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const roles = opts.roles
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean);
          const row = await addPrincipal(
            ctx.ledger(),
            { id, displayName: opts.name ?? id, roles },
            actingPrincipalId(opts.as),
          );
          if (opts.json) printJson(row);
          else info(`principal ${row.id} added (${row.roles.join(', ')}) by ${row.createdBy}`);
        });
      }),
    );
  p.command('list')
    .description('list principals and their roles')
    .option('--json', 'print JSON')
    .action(
      loanAction(async (opts: { json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const rows = await listPrincipals(ctx.db('ledgerflow_reader'));
          if (opts.json) return printJson(rows);
          printTable(rows, {
            principal: (r) => r.id,
            name: (r) => r.displayName,
            roles: (r) => r.roles.join(', '),
            'added by': (r) => r.createdBy,
            added: (r) => r.createdAt.toISOString(),
          });
        });
      }),
    );
}
