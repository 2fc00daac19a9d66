import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Actor } from '../../core/audit-event';
import type { Ledger } from '../../ledger/ledger';
import type { Action } from '../../services/principals/authorization';
import { createScreeningService, listStatus, type CallContext } from '../../services/screening';
import { withContext } from '../context';
import { AS_HELP, resolvePrincipal } from '../principals';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { decimalOption } from '../options';

/** The acting principal (`--as`, else LEDGERFLOW_PRINCIPAL) as the ledger actor; unknown principals are refused. */
export async function cliCall(
  ctx: { ledger(): Ledger },
  as: string | undefined,
  act: Action,
): Promise<CallContext> {
  const principal = await resolvePrincipal(ctx, as, act);
  const actor: Actor = { type: 'user', id: principal.id };
  return { actor, context: { request: { source: 'cli', request_id: randomUUID() } } };
}

/** Help text of the `--as` option shared by the screening commands. */
export const AS_OPTION = AS_HELP;

export function register(program: Command): void {
  const lists = program.command('lists').description('sanctions lists: load versions, show status');
  lists
    .command('load')
    .description(
      'load a list version from a file, a directory or a URL (HTTP with retries, ETag and hash checks)',
    )
    .argument('<pathOrUrl>', 'local file/directory, or http(s) URL of a published list')
    .option(
      '--source <source>',
      'ofac-sdn | ofac-consolidated | un (guessed from file names for local paths)',
    )
    .option('--confirm', 'accept a version that drops more entries than allowed')
    .option(
      '--max-drop <share>',
      'largest share of entries a new version may drop without --confirm (0-1)',
      decimalOption('--max-drop', 0, 1),
      0.1,
    )
    .option('--as <principal>', AS_OPTION)
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          target: string,
          opts: { source?: string; confirm?: boolean; maxDrop: number; as?: string; json?: boolean },
        ) => {
          const isUrl = /^https?:\/\//i.test(target);
          const maxDropShare = opts.maxDrop;
          return withContext({ quiet: opts.json }, async (ctx) => {
            const screening = createScreeningService({
              db: ctx.db(),
              ledger: ctx.ledger(),
              matcher: ctx.config.screening,
              maxDropShare,
              log: info,
            });
            const r = await screening.loadList({
              ...(await cliCall(ctx, opts.as, 'lists.load')),
              ...(isUrl ? { url: target } : { path: target }),
              source: opts.source,
              confirm: opts.confirm,
            });
            if (opts.json) printJson(r);
            else {
              info(r.message);
              for (const i of r.issues.slice(0, 10))
                info(`  skipped row: ${i.file}${i.line ? `:${i.line}` : ''} ${i.message}`);
              if (r.issueCount > 10) info(`  ... ${r.issueCount - 10} more skipped rows`);
            }
            return r.status === 'loaded' || r.status === 'unchanged' || r.status === 'not-modified'
              ? EXIT.ok
              : EXIT.failed;
          });
        },
      ),
    );
  lists
    .command('status')
    .description('show loaded list versions and open ingestion alerts')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        await withContext({ quiet: opts.json }, async (ctx) => {
          const s = await listStatus(ctx.db('ledgerflow_reader'));
          if (opts.json) return printJson(s);
          if (s.versions.length === 0) info('no list loaded yet: ledgerflow lists load PATH|URL');
          else
            printTable(s.versions, {
              source: (v) => v.source,
              status: (v) => v.status,
              hash: (v) => v.contentHash.slice(0, 12),
              entries: (v) => v.entryCount,
              '+/~/-': (v) => `+${v.added} ~${v.changed} -${v.removed}`,
              skipped: (v) => v.issueCount,
              loaded: (v) => v.loadedAt,
              origin: (v) => v.origin,
            });
          for (const a of s.openAlerts) info(`ALERT ${a.createdAt} [${a.source}] ${a.kind}: ${a.message}`);
        });
      }),
    );
}
