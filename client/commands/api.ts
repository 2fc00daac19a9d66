/* eslint-disable @typescript-eslint/no-require-imports -- the server loads in the action (see lazily()) */
import type { Command } from 'commander';
import type * as ApiServer from '../../api/server';
import { loadSigner } from '../../ledger/keys';
import { InputError } from '../../runtime/errors';
import type * as Logging from '../../runtime/logging';
import type * as Metrics from '../../runtime/metrics';
import { ApiRoleSchema, createApiKey, listApiKeys, revokeApiKey } from '../../services/principals/api-keys';
import { withContext } from '../context';
import { lazily } from '../lazy';
import { AS_HELP, resolvePrincipal } from '../principals';
import { info, printJson, printTable } from '../output';
import { action } from '../run-command';
import { portOption } from '../options';

export function register(program: Command): void {
  const api = program.command('api').description('the auditor HTTP API and its keys');
  api
    .command('serve', { isDefault: true })
    .description('serve the HTTP API (GET /v1/events for auditors, POST /v1/events for emitters)')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'port', portOption('--port'), 8080)
    .option('--no-temporal', 'serve without Temporal: the loan-application routes answer 503')
    .action(
      action(async (opts: { host: string; port: number; temporal: boolean }) => {
        // Fastify, pino, prom-client and the routes' services load here, not for --help.
        const { buildApiServer } = await lazily<typeof ApiServer>(
          () => require('../../api/server'),
          () => import('../../api/server.js'),
        );
        const { createJsonLogger } = await lazily<typeof Logging>(
          () => require('../../runtime/logging'),
          () => import('../../runtime/logging.js'),
        );
        const { createMetrics } = await lazily<typeof Metrics>(
          () => require('../../runtime/metrics'),
          () => import('../../runtime/metrics.js'),
        );
        // One registry for the requests and the ledger appends they make.
        const metrics = createMetrics();
        await withContext({ temporal: opts.temporal, metrics, serve: 'ledgerflow-api' }, async (ctx) => {
          const logger =
            ctx.config.LEDGERFLOW_LOG_FORMAT === 'json'
              ? createJsonLogger({ level: ctx.config.LEDGERFLOW_LOG_LEVEL, service: 'ledgerflow-api' })
              : undefined;
          const app = buildApiServer({
            temporal: opts.temporal
              ? { client: await ctx.temporal(), taskQueue: ctx.config.TEMPORAL_TASK_QUEUE }
              : undefined,
            reader: ctx.db('ledgerflow_reader'),
            writer: ctx.db('ledgerflow_writer'),
            ledger: ctx.ledger(),
            signer: loadSigner(ctx.config),
            screeningMatcher: ctx.config.screening,
            metrics,
            logger,
            tracer: ctx.tracer,
            console: {
              temporalUiUrl: `http://127.0.0.1:${ctx.config.LEDGERFLOW_TEMPORAL_UI_PORT}`,
              temporalNamespace: ctx.config.TEMPORAL_NAMESPACE,
            },
          });
          // The bound address (with --port 0, the port the system chose).
          const listening = `ledgerflow API listening on ${await app.listen({ host: opts.host, port: opts.port })}`;
          if (logger) logger.info(listening);
          else info(`${listening} (Ctrl-C to stop)`);
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
    .requiredOption('--role <role>', ApiRoleSchema.options.join(' | '))
    .option('--stream <stream...>', "emitter: streams the key may append to (never ledgerflow's own)")
    .option(
      '--event-type <type...>',
      'emitter: event types it may append (exact, or a prefix like "billing.*")',
    )
    .option('--on-behalf-of', 'emitter: may name another actor (recorded as payload.on_behalf_of)')
    .option('--expires <iso>', 'expiry time (default: none)')
    .option('--as <principal>', `admin creating the key; ${AS_HELP}`)
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          principal: string;
          role: string;
          stream?: string[];
          eventType?: string[];
          onBehalfOf?: boolean;
          expires?: string;
          as?: string;
          json?: boolean;
        }) => {
          const role = ApiRoleSchema.safeParse(opts.role);
          if (!role.success)
            throw new InputError(
              `--role must be one of ${ApiRoleSchema.options.join(', ')}, not "${opts.role}"`,
            );
          const expiresAt = opts.expires ? new Date(opts.expires) : undefined;
          if (expiresAt && Number.isNaN(expiresAt.getTime()))
            throw new InputError(`--expires: "${opts.expires}" is not an ISO 8601 time`);
          await withContext({ quiet: opts.json }, async (ctx) => {
            const by = await resolvePrincipal(ctx, opts.as, 'api_key.manage');
            const created = await createApiKey(
              ctx.ledger(),
              {
                principalId: opts.principal,
                role: role.data,
                streams: opts.stream ?? [],
                eventTypes: opts.eventType ?? [],
                mayDelegate: Boolean(opts.onBehalfOf),
                expiresAt,
              },
              by.id,
            );
            if (opts.json) printJson(created);
            else {
              // The secret goes to stdout alone (KEY=$(ledgerflow api keys create ...)); notes to stderr.
              info(
                `key ${created.keyId} for ${opts.principal} (${role.data}); store it now, it is not shown again`,
              );
              process.stdout.write(`${created.key}\n`);
            }
          });
        },
      ),
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
              grants: (k) =>
                [k.streams.join(','), k.event_types.join(','), k.may_delegate ? 'on-behalf-of' : '']
                  .filter(Boolean)
                  .join(' '),
              expires: (k) => k.expires_at?.toISOString(),
              created: (k) => k.created_at?.toISOString(),
              revoked: (k) => k.revoked_at?.toISOString(),
            });
        });
      }),
    );
  keys
    .command('revoke <keyId>')
    .description('revoke a key (it stays on record)')
    .option('--as <principal>', `admin revoking it; ${AS_HELP}`)
    .action(
      action(async (keyId: string, opts: { as?: string }) => {
        await withContext({}, async (ctx) => {
          const by = await resolvePrincipal(ctx, opts.as, 'api_key.manage');
          await revokeApiKey(ctx.ledger(), keyId, by.id);
          info(`revoked ${keyId}`);
        });
      }),
    );
}
