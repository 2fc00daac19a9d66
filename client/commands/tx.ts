import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Ledger } from '../../ledger/ledger';
import type { Action } from '../../services/principals/authorization';
import { resolvePrincipal } from '../principals';
import { ingestFile, type IngestSummary, type MonitoringCall } from '../../services/monitoring';
import type * as Feed from '../../services/monitoring/feed';
import { ConfigError } from '../../runtime/errors';
import type { CommandContext } from '../context';
import { withContext } from '../context';
import { lazily } from '../lazy';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { intOption } from '../options';

/** Help text of the `--as` option of the monitoring commands. */
export const AS_HELP = 'acting principal (default $LEDGERFLOW_PRINCIPAL)';

/** Checks the acting principal (`--as`, else LEDGERFLOW_PRINCIPAL) and builds the call context. */
export async function monitoringCall(
  ctx: { ledger(): Ledger },
  as: string | undefined,
  action: Action,
): Promise<MonitoringCall> {
  const p = await resolvePrincipal(ctx, as, action);
  return {
    actor: { type: 'user', id: p.id },
    context: { request: { source: 'cli', request_id: randomUUID() } },
  };
}

function printSummary(s: IngestSummary): void {
  info(
    `${s.source}: ${s.lines} lines, ${s.accepted} new transactions (${s.evaluated} evaluated, ${s.late} late), ` +
      `${s.duplicates} already ingested, ${s.rejected} rejected; ${s.alerts} alerts (rule set v${s.rule_set_version})` +
      (s.shadow_versions.length
        ? `, ${s.shadow_alerts} shadow alerts (v${s.shadow_versions.join(', v')})`
        : ''),
  );
  if (s.rejections.length)
    printTable(s.rejections, {
      line: (r) => r.line,
      transaction: (r) => r.transaction_id ?? '',
      reason: (r) => r.reason,
    });
  for (const id of s.alert_ids) info(`alert ${id} (ledgerflow alerts show ${id})`);
}

export function register(program: Command): void {
  const tx = program.command('tx').description('transaction monitoring: ingest transactions');
  tx.command('ingest')
    .description('run a JSONL file of transactions through the monitoring rules; alerts go to the ledger')
    .argument('<file>', 'one transaction per line (see docs/monitoring.md)')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (file: string, opts: { as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json }, async (ctx) => {
          const call = await monitoringCall(ctx, opts.as, 'monitoring.ingest');
          const s = await ingestFile({ db: ctx.db(), ledger: ctx.ledger() }, call, file);
          if (opts.json) printJson(s);
          else printSummary(s);
          return s.rejected ? EXIT.failed : EXIT.ok;
        }),
      ),
    );
  tx.command('publish')
    .description(
      'validate a JSONL file of transactions, then publish it to the transaction feed (NATS JetStream)',
    )
    .argument(
      '<file>',
      'one transaction per line (see docs/monitoring.md); a bad line rejects the whole file',
    )
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (file: string, opts: { as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json, nats: true }, async (ctx) => {
          await monitoringCall(ctx, opts.as, 'monitoring.ingest');
          const s = await withBroker(ctx, async (nc, names, feed) => feed.publishFile(nc, names, file));
          if (opts.json) printJson(s);
          else
            info(
              `${s.source}: ${s.lines} lines, ${s.published} published to ${ctx.config.LEDGERFLOW_FEED_STREAM}, ${s.duplicates} duplicates`,
            );
          return EXIT.ok;
        }),
      ),
    );
  tx.command('dead-letters')
    .description('list the feed messages that went to the dead-letter stream, with their errors')
    .option('--limit <n>', 'at most this many (1-10000)', intOption('--limit', 1, 10_000), 100)
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { limit: number; as?: string; json?: boolean }) =>
        withContext({ quiet: opts.json, nats: true }, async (ctx) => {
          await monitoringCall(ctx, opts.as, 'alerts.read');
          const dead = await withBroker(ctx, (nc, names, feed) =>
            feed.listDeadLetters(nc, names, opts.limit),
          );
          if (opts.json) printJson(dead);
          else if (dead.length === 0) info('no dead letters');
          else
            printTable(dead, {
              seq: (d) => d.seq,
              'feed seq': (d) => d.feedSeq,
              deliveries: (d) => d.deliveries,
              at: (d) => d.at,
              error: (d) => d.error,
            });
          return EXIT.ok;
        }),
      ),
    );
}

/** Connects to the context's broker and makes sure the feed exists. */
async function withBroker<T>(
  ctx: CommandContext,
  fn: (
    nc: Awaited<ReturnType<typeof Feed.connectBroker>>,
    names: ReturnType<typeof Feed.feedNames>,
    feed: typeof Feed,
  ) => Promise<T>,
): Promise<T> {
  if (!ctx.env.natsUrl) throw new ConfigError('no NATS broker: set NATS_URL or start "ledgerflow dev"');
  // The NATS client loads here, not for --help.
  const feed = await lazily<typeof Feed>(
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see lazily()
    () => require('../../services/monitoring/feed'),
    () => import('../../services/monitoring/feed/index.js'),
  );
  const { connectBroker, ensureFeed, feedNames } = feed;
  const names = feedNames(ctx.config.LEDGERFLOW_FEED_STREAM);
  const nc = await connectBroker(ctx.env.natsUrl, 'ledgerflow-cli');
  try {
    await ensureFeed(nc, names, {
      ackWaitMs: ctx.config.LEDGERFLOW_FEED_ACK_WAIT_MS,
      maxDeliveries: ctx.config.LEDGERFLOW_FEED_MAX_DELIVERIES,
    });
    return await fn(nc, names, feed);
  } finally {
    await nc.close().catch(() => undefined);
  }
}
