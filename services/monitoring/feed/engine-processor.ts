import { ingestParsed } from '../ingest';
import type { MonitoringCall, MonitoringDeps } from '../deps';
import { parseLine, type ParsedLine } from '../parse';
import { AccountCache } from '../state';
import { TransientFeedError, type BatchOutcome, type BatchProcessor, type FeedMessage } from './consumer';

/** Connection-level failures of PostgreSQL (refused, reset, server shutting down or full). */
const PG_OUTAGE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P02', '57P03', '53300']);
function isOutage(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return PG_OUTAGE.has(e?.code ?? '') || /Connection terminated|connect ECONNREFUSED/.test(e?.message ?? '');
}

/** Who raises the feed's alerts in the ledger: the worker-side feed service. */
export const FEED_CALL: MonitoringCall = {
  actor: { type: 'service', id: 'monitoring-feed' },
  context: { request: { source: 'worker' } },
};

/** Valid messages of a batch (first of each transaction id) and those to dead-letter. */
export function parseBatch(batch: FeedMessage[]): {
  items: ParsedLine[];
  duplicates: number;
  dead: BatchOutcome['dead'];
} {
  const items: ParsedLine[] = [];
  const dead: BatchOutcome['dead'] = [];
  const seen = new Map<string, string>();
  let duplicates = 0;
  for (const m of batch) {
    // The stream sequence stands in for the line number (rejections record it).
    const p = parseLine(m.text, m.seq);
    if (!p) {
      dead.push({ seq: m.seq, reason: 'empty message' });
      continue;
    }
    if ('reason' in p) {
      dead.push({ seq: m.seq, reason: p.reason });
      continue;
    }
    const prev = seen.get(p.tx.transaction_id);
    if (prev === undefined) {
      seen.set(p.tx.transaction_id, p.hash);
      items.push(p);
    } else if (prev === p.hash) duplicates++;
    else dead.push({ seq: m.seq, reason: 'transaction_id already used with different content' });
  }
  return { items, duplicates, dead };
}

/**
 * The feed's processor: part 1's engine (`ingestParsed`: idempotent by transaction id, per-account
 * advisory locks, alerts and their ledger events committed before it returns), committing on the
 * partition's lock connection, with a cache of account states (`opts.cache`, else its own)
 * checked against the account marks, so a batch reads only the accounts changed elsewhere. Invalid messages
 * and re-used ids with other content are dead-lettered. `onAlerts` gets the live alerts raised by
 * the batch's transactions, including on a redelivery whose transactions were already stored
 * (so a crash between the commit and `onAlerts` loses nothing); it must be idempotent.
 */
export function engineProcessor(
  d: MonitoringDeps,
  opts: { source: string; onAlerts?: (alertIds: string[]) => Promise<void>; cache?: AccountCache },
): BatchProcessor {
  const cache = opts.cache ?? new AccountCache();
  return async (batch, lease) => {
    const { items, duplicates, dead } = parseBatch(batch);
    if (items.length === 0) return { dead };
    const summary = await ingestParsed(
      d,
      FEED_CALL,
      { lines: batch.length, items, rejections: [], duplicates },
      opts.source,
      { client: lease.client, cache },
    ).catch((err: unknown) => {
      throw isOutage(err) ? new TransientFeedError('PostgreSQL unreachable', { cause: err }) : err;
    });
    for (const r of summary.rejections) dead.push({ seq: r.line, reason: r.reason });
    if (opts.onAlerts) {
      const onAlerts = opts.onAlerts;
      // Committed already; only the investigations can be missing: retry, never dead-letter.
      await (async () => {
        const triggered = await d.db.$client.query<{ alert_id: string }>(
          `SELECT alert_id FROM monitoring_alerts WHERE mode = 'live' AND trigger_transaction_id = ANY($1)`,
          [items.map((i) => i.tx.transaction_id)],
        );
        const ids = new Set([...summary.alert_ids, ...triggered.rows.map((r) => r.alert_id)]);
        if (ids.size) await onAlerts([...ids].sort());
      })().catch((err: unknown) => {
        throw new TransientFeedError(
          `cannot open the investigations of committed alerts (${(err as Error)?.name ?? 'error'})`,
          { cause: err },
        );
      });
    }
    return { dead };
  };
}
