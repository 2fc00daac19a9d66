import type { Command } from 'commander';
import { queryEvents } from '../../ledger/query';
import { withContext } from '../context';
import { printJson, printTable } from '../output';
import { action } from '../run-command';
import { intOption } from '../options';

export function register(program: Command): void {
  const events = program.command('events').description('query the audit ledger');
  events
    .command('list')
    .description('list events in seq order, filtered by subject, case, workflow or type')
    .option('--stream <stream>', 'ledger stream', 'default')
    .option('--subject <id>', 'data subject id')
    .option('--case <id>', 'case id')
    .option('--workflow <id>', 'workflow id')
    .option('--type <eventType>', 'event type')
    .option(
      '--after <seq>',
      'only events after this seq',
      intOption('--after', 0, Number.MAX_SAFE_INTEGER),
      0,
    )
    .option('--limit <n>', 'at most this many (1-1000)', intOption('--limit', 1, 1000), 100)
    .option('--json', 'print JSON (includes payloads)')
    .action(
      action(
        async (opts: {
          stream: string;
          subject?: string;
          case?: string;
          workflow?: string;
          type?: string;
          after: number;
          limit: number;
          json?: boolean;
        }) => {
          await withContext({ quiet: opts.json }, async (ctx) => {
            const rows = await queryEvents(ctx.db('ledgerflow_reader'), {
              stream: opts.stream,
              subject_id: opts.subject,
              case_id: opts.case,
              workflow_id: opts.workflow,
              event_type: opts.type,
              after_seq: opts.after,
              limit: opts.limit,
            });
            if (opts.json) return printJson(rows);
            printTable(rows, {
              seq: (e) => e.seq,
              time: (e) => e.occurred_at,
              type: (e) => e.event_type,
              actor: (e) => `${e.actor.type}:${e.actor.id}`,
              resource: (e) => `${e.resource.type}:${e.resource.id}`,
              outcome: (e) => e.outcome,
              workflow: (e) => e.context.workflow_id ?? '',
              payload: (e) => (e.payload_purged ? '(purged)' : 'yes'),
            });
          });
        },
      ),
    );
}
