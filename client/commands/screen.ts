import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import type { EntityKind } from '../../core/screening/normalize';
import { createScreeningService, type ScreeningResult } from '../../services/screening';
import { screeningResultJson } from '../../services/screening/result-json';
import { withContext } from '../context';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { AS_OPTION, cliCall } from './lists';
import { intOption } from '../options';

/** One result in the shape both `screen name` and `screen file` print with --json. */
function resultJson(r: ScreeningResult | { row: number; error: string }) {
  if ('error' in r) return { row: r.row, status: 'rejected', error: r.error, hits: [] };
  return { ...(r.row !== undefined ? { row: r.row } : {}), ...screeningResultJson(r) };
}

function printHits(r: ScreeningResult): void {
  info(
    `${r.query.name}: ${r.decision.toUpperCase()} (${r.hits.length} hit${r.hits.length === 1 ? '' : 's'} at >= ${r.thresholds.review}; matcher ${r.matcherVersion})`,
  );
  if (r.hits.length === 0) return;
  printTable(r.hits, {
    score: (h) => h.score,
    decision: (h) =>
      h.explanation.suppressedBy
        ? `clear (false positive: ${h.explanation.suppressedBy.reason})`
        : h.decision,
    list: (h) => `${h.source}:${h.entryId}`,
    'matched name': (h) =>
      `${h.matchedName}${h.explanation.matchedNameType !== 'primary' ? ` (${h.explanation.matchedNameType} of ${h.explanation.entry.primaryName})` : ''}`,
    why: (h) =>
      [
        h.explanation.tokenPairs
          .map((p) => `${p.query}~${p.candidate} ${p.similarity}${p.kind === 'exact' ? '' : ` ${p.kind}`}`)
          .join(', '),
        h.explanation.unmatchedQuery.length ? `unmatched: ${h.explanation.unmatchedQuery.join(' ')}` : '',
        h.explanation.unmatchedCandidate.length
          ? `list only: ${h.explanation.unmatchedCandidate.join(' ')}`
          : '',
        h.explanation.adjustments.map((a) => `${a.factor} ${a.delta > 0 ? '+' : ''}${a.delta}`).join(', '),
      ]
        .filter(Boolean)
        .join('; '),
  });
}

const KINDS = ['person', 'organization', 'vessel', 'aircraft'];

export function register(program: Command): void {
  const screen = program.command('screen').description('screen names against the loaded sanctions lists');
  screen
    .command('name')
    .description('screen one name; every screening is recorded in the ledger')
    .argument('<name>', 'the name to screen')
    .option('--dob <date>', 'date or year of birth (soft adjustment)')
    .option('--country <country>', 'nationality/country, ISO code or name (soft adjustment)')
    .option('--type <kind>', `entity type: ${KINDS.join(' | ')}`)
    .option('--subject <id>', 'customer id (key of false-positive exceptions)')
    .option('--as <principal>', AS_OPTION)
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          name: string,
          opts: {
            dob?: string;
            country?: string;
            type?: string;
            subject?: string;
            as?: string;
            json?: boolean;
          },
        ) => {
          if (opts.type && !KINDS.includes(opts.type)) {
            process.stderr.write(`error: --type must be one of ${KINDS.join(', ')}\n`);
            return EXIT.cannotRun;
          }
          return withContext({ quiet: opts.json }, async (ctx) => {
            const screening = createScreeningService({
              db: ctx.db(),
              ledger: ctx.ledger(),
              matcher: ctx.config.screening,
            });
            const r = await screening.screenName({
              ...(await cliCall(ctx, opts.as, 'screening.run')),
              name,
              dob: opts.dob,
              country: opts.country,
              kind: opts.type as EntityKind | undefined,
              subjectId: opts.subject,
            });
            if (opts.json) printJson(resultJson(r));
            else printHits(r);
            return EXIT.ok;
          });
        },
      ),
    );
  screen
    .command('file')
    .description('screen a customer CSV in chunks; writes report.csv and report.json')
    .argument('<file>', 'CSV with a header row')
    .option('--column <name>', 'name column (default name/full_name or the first column)')
    .option('--out <dir>', 'report directory (default a new directory under the system temp dir)')
    .option('--batch <id>', 'batch id (resume a batch with --batch ID --offset N)')
    .option('--offset <n>', 'resume from this row offset', intOption('--offset', 0, 100_000_000), 0)
    .option('--chunk <n>', 'rows per chunk (1-10000)', intOption('--chunk', 1, 10_000), 200)
    .option('--as <principal>', AS_OPTION)
    .option('--json', 'print one JSON result per input row')
    .action(
      action(
        async (
          file: string,
          opts: {
            column?: string;
            out?: string;
            batch?: string;
            offset: number;
            chunk: number;
            as?: string;
            json?: boolean;
          },
        ) => {
          return withContext({ quiet: opts.json }, async (ctx) => {
            const screening = createScreeningService({
              db: ctx.db(),
              ledger: ctx.ledger(),
              matcher: ctx.config.screening,
            });
            const outDir =
              opts.out ?? (await mkdtemp(path.join(process.env.TMPDIR ?? '/tmp', 'ledgerflow-screen-')));
            const bar = new SingleBar(
              {
                format: 'screening [{bar}] {percentage}% | {value}/{total} rows | {rejected} rejected',
                stream: process.stderr,
                hideCursor: true,
              },
              Presets.shades_classic,
            );
            let started = false;
            const report = await screening.screenBatch(
              {
                ...(await cliCall(ctx, opts.as, 'screening.run')),
                file,
                column: opts.column,
                batchId: opts.batch,
                offset: opts.offset,
                chunkSize: opts.chunk,
                outDir,
              },
              (p) => {
                if (!started) {
                  bar.start(p.total, 0, { rejected: 0 });
                  started = true;
                }
                bar.update(p.offset, { rejected: p.rejected });
              },
            );
            if (started) bar.stop();
            if (opts.json) printJson(report.rows.map(resultJson));
            else {
              info(
                `batch ${report.batchId}: ${report.totalRows} rows, ${report.screened} screened, ${report.rejected} rejected; block ${report.decisions.block}, review ${report.decisions.review}, clear ${report.decisions.clear}`,
              );
              for (const e of report.errors.slice(0, 20)) info(`  row ${e.row}: ${e.error}`);
              if (report.errors.length > 20)
                info(`  ... ${report.errors.length - 20} more rejected rows (see the report)`);
              info(`report: ${report.reportFiles?.csv} and ${report.reportFiles?.json}`);
            }
            return report.rejected > 0 ? EXIT.failed : EXIT.ok;
          });
        },
      ),
    );
  screen
    .command('false-positive')
    .description(
      'record that a hit is a false positive for this subject and list entry (honoured until the entry changes)',
    )
    .requiredOption('--source <source>', 'list: ofac-sdn | ofac-consolidated | un')
    .requiredOption('--entry <id>', "the list's entry id (OFAC ent_num, UN reference number)")
    .requiredOption('--reason <text>', 'why this is not the listed party')
    .option('--subject <id>', 'customer id')
    .option('--name <name>', 'the screened name (when there is no customer id)')
    .option('--as <principal>', `reviewing principal; ${AS_OPTION}`)
    .option('--json', 'print JSON')
    .action(
      action(
        async (opts: {
          source: string;
          entry: string;
          reason: string;
          subject?: string;
          name?: string;
          as?: string;
          json?: boolean;
        }) => {
          return withContext({ quiet: opts.json }, async (ctx) => {
            const screening = createScreeningService({
              db: ctx.db(),
              ledger: ctx.ledger(),
              matcher: ctx.config.screening,
            });
            const call = await cliCall(ctx, opts.as, 'screening.decide');
            const r = await screening.recordFalsePositive({
              ...call,
              subjectId: opts.subject,
              name: opts.name,
              source: opts.source,
              entryId: opts.entry,
              reason: opts.reason,
              reviewer: call.actor!.id,
            });
            if (opts.json) printJson(r);
            else
              info(
                `false positive recorded (${r.id}, ledger seq ${r.ledgerSeq}): ${r.subjectKey} is not ${r.source}:${r.entryId} while the entry stays unchanged`,
              );
            return EXIT.ok;
          });
        },
      ),
    );
}
