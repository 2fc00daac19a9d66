import type { Command } from 'commander';
import type { AuditEventInput } from '../../../core/audit-event';
import type { AppendResult } from '../../../ledger/append';
import { loadConfig } from '../../../runtime/config';
import { InputError } from '../../../runtime/errors';
import { isOwnStream } from '../../../services/principals/authorization';
import { withContext } from '../../context';
import { AS_HELP, resolvePrincipal } from '../../principals';
import { info, printJson } from '../../output';
import { action } from '../../run-command';
import { parseEventLines } from '../../../ledger/event-lines';
import { readInput } from './shared';

/**
 * The actor of an appended event is the acting principal; an actor named in the input is kept
 * only as `payload.on_behalf_of` (the `ledger.append` permission is the delegation grant).
 */
function asPrincipal<T extends { event: AuditEventInput }>(item: T, principalId: string): T {
  const self = { type: 'user' as const, id: principalId };
  const claimed = item.event.actor;
  const delegated = claimed.type !== self.type || claimed.id !== self.id;
  const payload = delegated ? { ...(item.event.payload ?? {}), on_behalf_of: claimed } : item.event.payload;
  return { ...item, event: { ...item.event, actor: self, payload } };
}

/** `ledger append`. */
export function register(ledger: Command): void {
  ledger
    .command('append')
    .description(
      'append events from JSONL (one event per line; idempotency key from "idempotency_key" or the line\'s SHA-256)',
    )
    .argument('[source]', '"-" for stdin (the default)')
    .option('--file <file>', 'read events from this file ("-" for stdin; default stdin)')
    .option('--stream <stream>', 'stream to append to', 'default')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print the appended events as JSON')
    .action(
      action(
        async (
          source: string | undefined,
          opts: { file?: string; stream: string; as?: string; json?: boolean },
        ) => {
          if (source !== undefined && source !== '-')
            throw new InputError('use --file FILE, or "-" for stdin');
          const items = parseEventLines(readInput(opts.file));
          if (items.length === 0) throw new InputError('no events in the input');
          const config = loadConfig();
          if (isOwnStream(opts.stream))
            throw new InputError(
              `stream "${opts.stream}" is ledgerflow's own; only its services append there`,
            );
          const results: AppendResult[] = await withContext({ quiet: opts.json }, async (ctx) => {
            const by = await resolvePrincipal(ctx, opts.as, 'ledger.append');
            return ctx.ledger().appendMany(
              items.map((item) => asPrincipal(item, by.id)),
              {
                stream: opts.stream,
                maxEventBytes: config.LEDGERFLOW_MAX_EVENT_BYTES,
              },
            );
          });
          if (opts.json) printJson(results);
          else
            for (const r of results)
              process.stdout.write(
                `${r.stream} ${r.seq} ${r.hash}${r.created ? '' : ' (already appended)'}\n`,
              );
          info(
            `${results.filter((r) => r.created).length} appended, ${results.filter((r) => !r.created).length} already present`,
          );
        },
      ),
    );
}
