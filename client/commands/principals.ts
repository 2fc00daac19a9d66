import type { Command } from 'commander';
import { withContext } from '../context';
import { info, printJson, printTable } from '../output';
import { ROLES } from '../../services/principals/authorization';
import {
  addPrincipal,
  changeRoles,
  deactivatePrincipal,
  listPrincipals,
} from '../../services/principals/principals';
import { AS_HELP, PRINCIPAL_ENV, actingPrincipalId, resolvePrincipal } from '../principals';
import { action } from '../run-command';

const splitRoles = (roles: string) =>
  roles
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

/** `ledgerflow principals add|roles|deactivate|list`: every change is a ledger event (stream `admin`). */
export function register(program: Command): void {
  const p = program.command('principals').description('who may act: admins, operators, reviewers, ...');
  p.command('add <id>')
    .description(
      `add a principal (an admin, --as or $${PRINCIPAL_ENV}; while no admin exists, an admin may be added without)`,
    )
    .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`)
    .option('--name <displayName>', 'display name (default: the id)')
    .option('--as <principal>', `acting admin; ${AS_HELP}`)
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { roles: string; name?: string; as?: string; json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const acting = actingPrincipalId(opts.as);
          // Check through the CLI path first so a refusal is recorded; bootstrap names nobody.
          if (acting) await resolvePrincipal(ctx, acting, 'principal.manage');
          const row = await addPrincipal(
            ctx.ledger(),
            { id, displayName: opts.name ?? id, roles: splitRoles(opts.roles) },
            acting,
          );
          if (opts.json) printJson(row);
          else info(`principal ${row.id} added (${row.roles.join(', ')}) by ${row.createdBy}`);
        });
      }),
    );
  p.command('roles <id>')
    .description("replace a principal's roles (admin only)")
    .requiredOption('--roles <roles>', `comma-separated: ${ROLES.join(', ')}`)
    .option('--as <principal>', `acting admin; ${AS_HELP}`)
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { roles: string; as?: string; json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const by = await resolvePrincipal(ctx, opts.as, 'principal.manage');
          const row = await changeRoles(ctx.ledger(), id, splitRoles(opts.roles), by.id);
          if (opts.json) printJson(row);
          else info(`principal ${row.id} now has roles ${row.roles.join(', ')} (changed by ${by.id})`);
        });
      }),
    );
  p.command('deactivate <id>')
    .description('deactivate a principal for good: it stays on record and can no longer act')
    .requiredOption('--reason <text>', 'why')
    .option('--as <principal>', `acting admin; ${AS_HELP}`)
    .action(
      action(async (id: string, opts: { reason: string; as?: string }) => {
        await withContext({}, async (ctx) => {
          const by = await resolvePrincipal(ctx, opts.as, 'principal.manage');
          await deactivatePrincipal(ctx.ledger(), id, opts.reason, by.id);
          info(`principal ${id} deactivated by ${by.id}`);
        });
      }),
    );
  p.command('list')
    .description('list principals and their roles')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const rows = await listPrincipals(ctx.db('ledgerflow_reader'));
          if (opts.json) return printJson(rows);
          printTable(rows, {
            principal: (r) => r.id,
            name: (r) => r.displayName,
            roles: (r) => r.roles.join(', '),
            'added by': (r) => r.createdBy,
            added: (r) => r.createdAt.toISOString(),
            state: (r) => (r.deactivatedAt ? `deactivated by ${r.deactivatedBy}` : 'active'),
          });
        });
      }),
    );
}
