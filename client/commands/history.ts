/* eslint-disable @typescript-eslint/no-require-imports -- modules load in the action (see lazily()) */
import type { Command } from 'commander';
import type * as ArchiveRun from '../../services/archive/archive-run';
import type * as HistoryJson from '../../services/archive/history-json';
import type * as History from '../history';
import { runIdOption } from '../options';
import { withContext } from '../context';
import { lazily } from '../lazy';
import { AS_HELP, resolvePrincipal } from '../principals';
import { info, printJson, printTable, assertWritableFile, writeOutFile } from '../output';
import { EXIT, action, printError } from '../run-command';

// Temporal's SDK and the worker's replayer load when an action runs, not for --help.
const history = () =>
  lazily<typeof History>(
    () => require('../history'),
    () => import('../history.js'),
  );
const archiveRun = () =>
  lazily<typeof ArchiveRun>(
    () => require('../../services/archive/archive-run'),
    () => import('../../services/archive/archive-run.js'),
  );
const historyJson = () =>
  lazily<typeof HistoryJson>(
    () => require('../../services/archive/history-json'),
    () => import('../../services/archive/history-json.js'),
  );

/** {@link action}, printing an unknown or still running workflow as one plain line (exit 1). */
function historyAction<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return action(async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      // By name and code: instanceof would load the SDK's and the archive's classes up front.
      const name = (err as Error)?.name;
      if (name === 'WorkflowNotFoundError') printError(`not found: ${(err as Error).message}`);
      else if ((err as { code?: unknown })?.code === 'WORKFLOW_NOT_CLOSED')
        printError(`refused: ${(err as Error).message}; archive it after it closes`);
      else throw err;
      return EXIT.failed;
    }
  });
}

export function register(program: Command): void {
  const h = program
    .command('history')
    .description('workflow provenance: Temporal history joined with the ledger');
  h.command('show <workflowId>')
    .description('one timeline of Temporal history events and ledger events (running or archived workflows)')
    .option('--json', 'print JSON')
    .action(
      historyAction(async (workflowId: string, opts: { json?: boolean }) => {
        await withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
          const { buildTimeline } = await history();
          const t = await buildTimeline(
            { db: ctx.db('ledgerflow_reader'), client: await ctx.temporal() },
            workflowId,
          );
          if (opts.json) return printJson(t);
          info(
            `workflow ${t.workflowId} run ${t.runId ?? '?'} (history from ${t.origin}${t.archived ? `; archived, sha256 ${t.archived.digest.slice(0, 16)}… sealed at ${t.archived.ledgerStream}:${t.archived.ledgerSeq}` : '; not archived yet'})`,
          );
          printTable(t.entries, {
            time: (e) => e.at.slice(11, 23),
            source: (e) => e.source,
            ref: (e) => e.ref,
            event: (e) => e.type,
            detail: (e) => e.detail,
            links: (e) => e.links.join(' '),
          });
        });
      }),
    );
  h.command('replay <workflowIdOrFile>')
    .description('replay a history (Temporal, archive or JSON file) against the current workflow code')
    .action(
      historyAction(async (target: string) => {
        return withContext({ temporal: true }, async (ctx) => {
          try {
            const { replayHistory } = await history();
            const r = await replayHistory(
              { db: ctx.db('ledgerflow_reader'), client: await ctx.temporal() },
              target,
            );
            info(
              `replay ok: ${r.workflowId} (${r.history.events?.length ?? 0} events from ${r.origin}) is deterministic with the current code`,
            );
            return EXIT.ok;
          } catch (err) {
            const e = err as Error;
            if (e.name === 'DeterminismViolationError' || /nondetermin|determinism/i.test(e.message)) {
              process.stderr.write(`replay FAILED: ${e.message}\n`);
              return EXIT.failed;
            }
            throw err;
          }
        });
      }),
    );
  h.command('export <workflowId>')
    .description('write a history as replayable JSON (from Temporal or the archive)')
    .requiredOption('--out <file>', 'output file')
    .action(
      historyAction(async (workflowId: string, opts: { out: string }) => {
        assertWritableFile(opts.out);
        await withContext({ temporal: true }, async (ctx) => {
          const { loadHistory } = await history();
          const { historyToJSON } = await historyJson();
          const r = await loadHistory(
            { db: ctx.db('ledgerflow_reader'), client: await ctx.temporal() },
            workflowId,
          );
          writeOutFile(opts.out, historyToJSON(r.history));
          info(
            `wrote ${r.history.events?.length ?? 0} events of ${workflowId} (from ${r.origin}) to ${opts.out}`,
          );
        });
      }),
    );
  h.command('archive <workflowId>')
    .description('archive a closed workflow run now and seal its digest (the loan workflow does this itself)')
    .option('--run <runId>', 'run id (default: latest)', runIdOption('--run'))
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      historyAction(async (workflowId: string, opts: { run?: string; as?: string; json?: boolean }) => {
        await withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
          await resolvePrincipal(ctx, opts.as, 'history.archive');
          const { archiveWorkflowRun } = await archiveRun();
          const r = await archiveWorkflowRun(
            { ledger: ctx.ledger(), client: await ctx.temporal() },
            { workflowId, runId: opts.run, source: 'cli' },
          );
          if (opts.json) return printJson(r);
          info(
            `${r.created ? 'archived' : 'already archived'}: ${workflowId} run ${r.runId}, ${r.eventCount} events, sha256 ${r.digest}, ledger provenance:${r.ledgerSeq}`,
          );
        });
      }),
    );
}
