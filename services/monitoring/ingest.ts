import { readFile } from 'node:fs/promises';
import type { ClientBase } from 'pg';
import type { AlertDraft } from '../../core/monitoring/alert';
import { byEventTime, evaluateTransaction } from '../../core/monitoring/engine';
import { HOUR } from '../../core/monitoring/rule';
import { timed, type TimedTransaction } from '../../core/monitoring/transaction';
import { InputError } from '../../runtime/errors';
import { persistAlerts } from './alert-store';
import type { MonitoringCall, MonitoringDeps } from './deps';
import { parseJsonl, type ParsedLine, type Rejection } from './parse';
import { runningVersions, type RuleVersion } from './rule-versions';
import {
  advance,
  emptyAccount,
  loadAccounts,
  readMarks,
  stateFor,
  type AccountCache,
  type StoredAccount,
} from './state';

/** What one ingest did. Key order is the `--json` output order. */
export interface IngestSummary {
  source: string;
  lines: number;
  accepted: number;
  evaluated: number;
  late: number;
  duplicates: number;
  rejected: number;
  alerts: number;
  shadow_alerts: number;
  alert_ids: string[];
  rule_set_version: number;
  shadow_versions: number[];
  rejections: Rejection[];
}

/** Accounts per database transaction: bounds lock scope and memory for big files. */
const ACCOUNTS_PER_CHUNK = 500;

/** Ingests a JSONL file (see {@link ingestText}); an unreadable file is an input error. */
export async function ingestFile(
  d: MonitoringDeps,
  call: MonitoringCall,
  file: string,
): Promise<IngestSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return ingestText(d, call, text, file);
}

/**
 * Runs transactions through the engine: parse and validate each line, drop known ids (same
 * content) and reject re-used ids (other content), record transactions beyond the allowed
 * lateness as `late`, evaluate the rest in event-time order per account (a late arrival within
 * the lateness re-evaluates the account from its event time on), then store transactions and
 * alerts and record each live alert in the ledger. Accounts are processed in chunks, each in one
 * database transaction under per-account advisory locks.
 */
export async function ingestText(
  d: MonitoringDeps,
  call: MonitoringCall,
  text: string,
  source = 'stdin',
): Promise<IngestSummary> {
  return ingestParsed(d, call, parseJsonl(text), source);
}

/**
 * Runs already parsed and validated lines through the engine ({@link ingestText} after parsing;
 * the transaction feed hands its batches here).
 */
export async function ingestParsed(
  d: MonitoringDeps,
  call: MonitoringCall,
  parsed: ReturnType<typeof parseJsonl>,
  source: string,
  opts: {
    /** Run the database transactions on this connection (the feed: its partition's lock connection). */
    client?: ClientBase;
    /** Account states kept between batches (the feed's worker), checked against the account marks. */
    cache?: AccountCache;
  } = {},
): Promise<IngestSummary> {
  const { live, shadow } = await runningVersions(d);
  const summary: IngestSummary = {
    source,
    lines: parsed.lines,
    accepted: 0,
    evaluated: 0,
    late: 0,
    duplicates: parsed.duplicates,
    rejected: 0,
    alerts: 0,
    shadow_alerts: 0,
    alert_ids: [],
    rule_set_version: live.version,
    shadow_versions: shadow.map((v) => v.version),
    rejections: [...parsed.rejections],
  };
  const byAccount = new Map<string, ParsedLine[]>();
  for (const it of parsed.items) {
    const list = byAccount.get(it.tx.account_id) ?? [];
    list.push(it);
    byAccount.set(it.tx.account_id, list);
  }
  const accounts = [...byAccount.keys()].sort();
  for (let i = 0; i < accounts.length; i += ACCOUNTS_PER_CHUNK) {
    const chunk = accounts.slice(i, i + ACCOUNTS_PER_CHUNK);
    const committed = await withTransaction(d, opts.client, (c) =>
      ingestChunk(
        d,
        call,
        c,
        chunk.map((a) => byAccount.get(a) as ParsedLine[]).flat(),
        [live, ...shadow],
        summary,
        opts.cache,
      ),
    );
    committed();
  }
  d.ledger.metrics?.monitoringTransactions.inc(summary.accepted);
  summary.rejections.sort((a, b) => a.line - b.line);
  summary.rejected = summary.rejections.length;
  if (summary.rejections.length)
    await d.db.$client.query(
      `INSERT INTO monitoring_rejections (source, line, transaction_id, reason)
       SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[])`,
      [
        source,
        summary.rejections.map((r) => r.line),
        summary.rejections.map((r) => r.transaction_id),
        summary.rejections.map((r) => r.reason),
      ],
    );
  return summary;
}

async function withTransaction<T>(
  d: MonitoringDeps,
  client: ClientBase | undefined,
  fn: (c: ClientBase) => Promise<T>,
): Promise<T> {
  const pooled = client ? undefined : await d.db.$client.connect();
  const c = client ?? pooled!;
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    pooled?.release();
  }
}

async function ingestChunk(
  d: MonitoringDeps,
  call: MonitoringCall,
  c: ClientBase,
  items: ParsedLine[],
  versions: RuleVersion[],
  summary: IngestSummary,
  cache: AccountCache | undefined,
): Promise<() => void> {
  const accounts = [...new Set(items.map((i) => i.tx.account_id))].sort();
  await c.query(
    `SELECT pg_advisory_xact_lock(1835365486, hashtext(a)) FROM unnest($1::text[]) a ORDER BY a`,
    [accounts],
  );
  const known = await c.query<{ transaction_id: string; content_hash: string }>(
    `SELECT transaction_id, content_hash FROM monitoring_transactions WHERE transaction_id = ANY($1)`,
    [items.map((i) => i.tx.transaction_id)],
  );
  const stored = new Map(known.rows.map((r) => [r.transaction_id, r.content_hash]));
  const fresh: Array<ParsedLine & { t: TimedTransaction }> = [];
  for (const it of items) {
    const h = stored.get(it.tx.transaction_id);
    if (h === undefined) fresh.push({ ...it, t: timed(it.tx) });
    else if (h === it.hash) summary.duplicates++;
    else
      summary.rejections.push({
        line: it.line,
        transaction_id: it.tx.transaction_id,
        reason: 'transaction_id already ingested with different content',
      });
  }
  const nothing = () => undefined;
  if (fresh.length === 0) return nothing;
  const lateness = versions[0]!.ruleSet.latenessHours * HOUR;
  const earliest = new Map<string, number>();
  for (const f of fresh)
    earliest.set(f.tx.account_id, Math.min(earliest.get(f.tx.account_id) ?? Infinity, f.t.at));
  const state = await accountStates(c, earliest, cache);
  const lateIds = new Set<string>();
  for (const f of fresh) {
    // Late: older than the lateness before what the account has already been evaluated up to.
    // Within one batch, transactions are simply evaluated in event-time order.
    const mark = state.get(f.tx.account_id)!.watermark;
    if (mark !== null && f.t.at < mark - lateness) lateIds.add(f.tx.transaction_id);
  }
  const onTime = new Map<string, typeof fresh>();
  for (const f of fresh) {
    if (lateIds.has(f.tx.transaction_id)) continue;
    const list = onTime.get(f.tx.account_id) ?? [];
    list.push(f);
    onTime.set(f.tx.account_id, list);
  }
  const alerts: AlertDraft[] = [];
  const evaluated = new Map<string, TimedTransaction[]>();
  for (const [account, mine] of onTime) {
    const from = Math.min(...mine.map((f) => f.t.at));
    const a = state.get(account)!;
    // Stored transactions at or after the earliest new one are evaluated again, in order.
    const run = [...a.transactions.filter((t) => t.at >= from), ...mine.map((f) => f.t)].sort(byEventTime);
    evaluated.set(
      account,
      mine.map((f) => f.t),
    );
    for (const v of versions) {
      const s = stateFor(a, from, v.version, v.mode);
      for (const t of run) alerts.push(...evaluateTransaction(v.ruleSet, v.mode as 'live' | 'shadow', s, t));
    }
  }
  const saved = await persistAlerts(d, call, c, alerts);
  const inserted = await c.query<{ transaction_id: string }>(
    `INSERT INTO monitoring_transactions (transaction_id, account_id, counterparty_id, channel, occurred_at, content_hash, data, status)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[], $8::text[])
     ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id`,
    [
      fresh.map((f) => f.tx.transaction_id),
      fresh.map((f) => f.tx.account_id),
      fresh.map((f) => f.tx.counterparty_id),
      fresh.map((f) => f.tx.channel),
      fresh.map((f) => new Date(f.t.at).toISOString()),
      fresh.map((f) => f.hash),
      fresh.map((f) => JSON.stringify(f.tx)),
      fresh.map((f) => (lateIds.has(f.tx.transaction_id) ? 'late' : 'evaluated')),
    ],
  );
  summary.accepted += fresh.length;
  summary.late += lateIds.size;
  summary.evaluated += fresh.length - lateIds.size;
  summary.alerts += saved.filter((a) => a.mode === 'live').length;
  summary.shadow_alerts += saved.filter((a) => a.mode === 'shadow').length;
  summary.alert_ids.push(...saved.filter((a) => a.mode === 'live').map((a) => a.alert_id));
  const touched = [...earliest.keys()];
  const marks = await c.query<{ account_id: string; version: number }>(
    `INSERT INTO monitoring_account_marks AS m (account_id, version, watermark)
     SELECT a, 1, w FROM unnest($1::text[], $2::timestamptz[]) AS x(a, w)
     ON CONFLICT (account_id) DO UPDATE SET version = m.version + 1, watermark = GREATEST(m.watermark, EXCLUDED.watermark)
     RETURNING account_id, version`,
    [
      touched,
      touched.map((a) => {
        const ts = evaluated.get(a)?.map((t) => t.at) ?? [];
        return ts.length ? new Date(Math.max(...ts)).toISOString() : null;
      }),
    ],
  );
  if (!cache) return nothing;
  // Applied once committed: the cache never holds what a rolled-back transaction wrote.
  const insertedIds = new Set(inserted.rows.map((r) => r.transaction_id));
  return () => {
    for (const m of marks.rows) {
      const mine = fresh.filter((f) => f.tx.account_id === m.account_id);
      // A transaction id already stored for another account: this account's state is not what we think.
      if (mine.some((f) => !insertedIds.has(f.tx.transaction_id))) {
        cache.drop(m.account_id);
        continue;
      }
      const raised = alerts
        .filter((x) => x.account_id === m.account_id)
        .map((x) => ({
          alert_id: x.alert_id,
          version: x.rule_set_version,
          mode: x.mode,
          typology: x.typology,
          decision: x.decision,
          transaction_ids: x.transaction_ids,
        }));
      cache.put(
        m.account_id,
        advance(state.get(m.account_id)!, evaluated.get(m.account_id) ?? [], raised, m.version),
      );
    }
  };
}

/**
 * The stored state of the accounts a chunk brings new transactions for: from the cache where
 * the account's mark is unchanged, nothing for accounts without a mark, loaded otherwise.
 */
async function accountStates(
  c: ClientBase,
  earliest: Map<string, number>,
  cache: AccountCache | undefined,
): Promise<Map<string, StoredAccount>> {
  const marks = await readMarks(c, [...earliest.keys()]);
  const out = new Map<string, StoredAccount>();
  const load = new Map<string, number>();
  for (const [account, from] of earliest) {
    const mark = marks.get(account);
    const hit = mark && cache?.get(account, mark, from);
    if (!mark) out.set(account, emptyAccount(from));
    else if (hit) out.set(account, hit);
    else load.set(account, from);
  }
  if (load.size) for (const [a, s] of await loadAccounts(c, load, marks)) out.set(a, s);
  return out;
}
