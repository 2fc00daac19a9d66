import type { Command } from 'commander';
import type { AppendResult } from '../../../ledger/append';
import { loadConfig } from '../../../runtime/config';
import { InputError } from '../../../runtime/errors';
import { withContext } from '../../context';
import { info, printJson } from '../../output';
import { action } from '../../run-command';
import { parseEventLines } from '../../../ledger/event-lines';
import { readInput } from './shared';

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
    .option('--json', 'print the appended events as JSON')
    .action(
      action(async (source: string | undefined, opts: { file?: string; stream: string; json?: boolean }) => {
        if (source !== undefined && source !== '-') throw new InputError('use --file FILE, or "-" for stdin');
        const items = parseEventLines(readInput(opts.file));
        if (items.length === 0) throw new InputError('no events in the input');
        const config = loadConfig();
        const results: AppendResult[] = await withContext({ quiet: opts.json }, async (ctx) => {
          return ctx.ledger().appendMany(items, {
            stream: opts.stream,
            maxEventBytes: config.LEDGERFLOW_MAX_EVENT_BYTES,
          });
        });
        if (opts.json) printJson(results);
        else
          for (const r of results)
            process.stdout.write(`${r.stream} ${r.seq} ${r.hash}${r.created ? '' : ' (already appended)'}\n`);
        info(
          `${results.filter((r) => r.created).length} appended, ${results.filter((r) => !r.created).length} already present`,
        );
      }),
    );
}
