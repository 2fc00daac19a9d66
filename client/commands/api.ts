import type { Command } from 'commander';
import { buildApiServer } from '../../api/server';
import { InputError } from '../../runtime/errors';
import { ApiRoleSchema, createApiKey, listApiKeys, revokeApiKey } from '../../services/principals/api-keys';
import { withContext } from '../context';
import { resolvePrincipal } from '../principals';
import { info, printJson, printTable } from '../output';
import { action } from '../run-command';

export function register(program: Command): void {
  const api = program.command('api').description('the auditor HTTP API and its keys');
  api
    .command('serve', { isDefault: true })
    .description('serve the HTTP API (GET /v1/events for auditors, POST /v1/events for emitters)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port', (v) => Number(v), 8080)
    .action(
      action(async (opts: { host: string; port: number }) => {
        await withContext({}, async (ctx) => {
          const app = buildApiServer({
            reader: ctx.db('ledgerflow_reader'),
            writer: ctx.db('ledgerflow_writer'),
            ledger: ctx.ledger(),
          });
          await app.listen({ host: opts.host, port: opts.port });
          info(`ledgerflow API listening on http://${opts.host}:${opts.port} (Ctrl-C to stop)`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await app.close();
        });
      }),
    );
  const keys = api.command('keys').description('create, list and revoke API keys');
  keys
    .command('create')
    .description('create a key for a known principal; the key is printed once')
    .requiredOption('--principal <id>', 'principal the key acts as')
    .requiredOption('--role <role>', 'auditor | emitter')
    .option('--as <principal>', 'admin principal creating the key (or LEDGERFLOW_PRINCIPAL)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { principal: string; role: string; as?: string; json?: boolean }) => {
        const role = ApiRoleSchema.safeParse(opts.role);
        if (!role.success) throw new InputError(`--role must be auditor or emitter, not "${opts.role}"`);
        await withContext({ quiet: opts.json }, async (ctx) => {
          const by = await resolvePrincipal(ctx.db('ledgerflow_reader'), opts.as, 'admin');
          const created = await createApiKey(ctx.ledger(), opts.principal, role.data, by.id);
          if (opts.json) printJson(created);
          else
            info(
              `key ${created.keyId} for ${opts.principal} (${role.data}); store it now, it is not shown again:\n${created.key}`,
            );
        });
      }),
    );
  keys
    .command('list')
    .description('list API keys (never the keys themselves)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const rows = await listApiKeys(ctx.db('ledgerflow_reader'));
          if (opts.json) printJson(rows);
          else
            printTable(rows, {
              key: (k) => k.key_id,
              principal: (k) => k.principal_id,
              role: (k) => k.role,
              created: (k) => k.created_at?.toISOString(),
              revoked: (k) => k.revoked_at?.toISOString(),
            });
        });
      }),
    );
  keys
    .command('revoke <keyId>')
    .description('revoke a key (it stays on record)')
    .option('--as <principal>', 'admin principal revoking it (or LEDGERFLOW_PRINCIPAL)')
    .action(
      action(async (keyId: string, opts: { as?: string }) => {
        await withContext({}, async (ctx) => {
          const by = await resolvePrincipal(ctx.db('ledgerflow_reader'), opts.as, 'admin');
          await revokeApiKey(ctx.ledger(), keyId, by.id);
          info(`revoked ${keyId}`);
        });
      }),
    );
}
