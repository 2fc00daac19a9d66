import type { Command } from 'commander';
import { z } from 'zod';
import { zodIssueLines } from '../../core/zod-issues';
import { queryEvents, type LedgerEventView } from '../../ledger/query';
import { InputError } from '../../runtime/errors';
import { EventSearchSchema, MAX_PAGE } from '../../services/events/filter';
import { searchEvents } from '../../services/events/search';
import { withContext } from '../context';
import { info, printJson, printTable } from '../output';
import { action } from '../run-command';
import { intOption } from '../options';

interface ListOptions {
  stream?: string;
  subject?: string;
  case?: string;
  workflow?: string;
  type?: string;
  from?: string;
  to?: string;
  cursor?: string;
  afterSeq?: number;
  limit: number;
  json?: boolean;
}

/** The search's field names as the flags that set them, so a refusal names what the user typed. */
const FLAG_OF: Record<string, string> = {
  stream: '--stream',
  subject_id: '--subject',
  case_id: '--case',
  workflow_id: '--workflow',
  event_type: '--type',
  from: '--from',
  to: '--to',
  cursor: '--cursor',
  limit: '--limit',
};

/** The flags as a search of every stream (or of `--stream`); a bad value is a usage error naming its flag. */
function searchOf(opts: ListOptions) {
  const search = EventSearchSchema.safeParse({
    stream: opts.stream,
    subject_id: opts.subject,
    case_id: opts.case,
    workflow_id: opts.workflow,
    event_type: opts.type,
    from: opts.from,
    to: opts.to,
    cursor: opts.cursor,
    limit: opts.limit,
  });
  if (!search.success) throw new InputError(flagIssues(search.error));
  return search.data;
}

function flagIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = String(issue.path[0] ?? '');
      const flag = FLAG_OF[field];
      return flag ? `${flag}: ${issue.message}` : zodIssueLines(new z.ZodError([issue]))[0];
    })
    .join('; ');
}

export function register(program: Command): void {
  const events = program.command('events').description('query the audit ledger');
  events
    .command('list')
    .description(
      'list events of every stream (or of --stream) in (occurred_at, stream, seq) order, filtered by subject, case, workflow, type or time; pages continue with --cursor',
    )
    .option('--stream <stream>', 'only this ledger stream (default: every stream)')
    .option('--subject <id>', 'data subject id')
    .option('--case <id>', 'case id (a loan application id, e.g. APP-1)')
    .option('--workflow <id>', 'workflow id')
    .option('--type <eventType>', 'event type')
    .option('--from <iso>', 'occurred at or after this time (ISO 8601 with offset)')
    .option('--to <iso>', 'occurred before this time (ISO 8601 with offset)')
    .option('--cursor <cursor>', 'continue after the page that printed this cursor (same filters)')
    .option(
      '--after-seq <seq>',
      'with --stream: the stream in seq order, after this seq (instead of --cursor)',
      intOption('--after-seq', 0, Number.MAX_SAFE_INTEGER),
    )
    .option('--limit <n>', `at most this many (1-${MAX_PAGE})`, intOption('--limit', 1, MAX_PAGE), 100)
    .option('--json', 'print JSON: {events, next_cursor} (events include payloads)')
    .action(
      action(async (opts: ListOptions) => {
        if (opts.afterSeq !== undefined && !opts.stream)
          throw new InputError(
            '--after-seq needs --stream (seqs count within one stream); across streams page with --cursor',
          );
        if (opts.afterSeq !== undefined && opts.cursor)
          throw new InputError('--after-seq and --cursor cannot be combined: use one of them');
        const search = searchOf(opts);
        await withContext({ quiet: opts.json, warm: ['ledgerflow_reader'] }, async (ctx) => {
          const db = ctx.db('ledgerflow_reader');
          let page: { events: LedgerEventView[]; next_cursor: string | null; next_after_seq?: number };
          if (opts.afterSeq !== undefined) {
            // One stream in seq order (keyset on seq): the ledger's own order, for tailing a stream.
            const rows = await queryEvents(db, {
              stream: search.stream!,
              subject_id: search.subject_id,
              case_id: search.case_id,
              workflow_id: search.workflow_id,
              event_type: search.event_type,
              after_seq: opts.afterSeq,
              limit: search.limit,
            });
            const last = rows.at(-1);
            page = {
              events: rows,
              next_cursor: null,
              next_after_seq: rows.length === search.limit && last ? last.seq : undefined,
            };
          } else {
            try {
              page = await searchEvents(db, search);
            } catch (err) {
              if (err instanceof InputError && err.message.startsWith('cursor: '))
                throw new InputError(`--cursor${err.message.slice('cursor'.length)}`);
              throw err;
            }
          }
          if (opts.json) return printJson(page);
          printTable(page.events, {
            stream: (e) => e.stream,
            seq: (e) => e.seq,
            time: (e) => e.occurred_at,
            type: (e) => e.event_type,
            actor: (e) => `${e.actor.type}:${e.actor.id}`,
            resource: (e) => `${e.resource.type}:${e.resource.id}`,
            outcome: (e) => e.outcome,
            case: (e) => e.case_id ?? '',
            workflow: (e) => e.context.workflow_id ?? '',
            payload: (e) => (e.payload_purged ? '(purged)' : 'yes'),
          });
          if (page.next_cursor) info(`more: add --cursor ${page.next_cursor}`);
          else if (page.next_after_seq !== undefined) info(`more: --after-seq ${page.next_after_seq}`);
        });
      }),
    );
}
