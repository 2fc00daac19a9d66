import type { PoolClient } from 'pg';
import { HISTORY_DAYS, type AccountState } from '../../core/monitoring/engine';
import { timed, type TimedTransaction, type Transaction } from '../../core/monitoring/transaction';

const DAY = 86_400_000;

/** What is stored per account before a batch: evaluated history, watermark, first-seen counterparties, alerts. */
export interface StoredAccount {
  /** Evaluated transactions from HISTORY_DAYS before `from` on, in event-time order. */
  transactions: TimedTransaction[];
  /** Latest evaluated event time (epoch ms); null without history. */
  watermark: number | null;
  /** Counterparties first seen before `from`. */
  firstSeen: Map<string, number>;
  alerts: Array<{
    version: number;
    mode: string;
    typology: string;
    decision: 'alert' | 'block';
    transaction_ids: string[];
  }>;
}

/**
 * Loads the stored state of `accounts` (each with the earliest event time `from` the batch
 * brings), in one round trip per table. Per-account state lives in PostgreSQL, so any worker
 * can process any account.
 */
export async function loadAccounts(
  c: PoolClient,
  from: Map<string, number>,
): Promise<Map<string, StoredAccount>> {
  const ids = [...from.keys()];
  const froms = ids.map((a) => new Date((from.get(a) as number) - HISTORY_DAYS * DAY).toISOString());
  const starts = ids.map((a) => new Date(from.get(a) as number).toISOString());
  const out = new Map<string, StoredAccount>(
    ids.map((a) => [a, { transactions: [], watermark: null, firstSeen: new Map(), alerts: [] }]),
  );
  const txs = await c.query<{ data: Transaction }>(
    `SELECT t.data FROM unnest($1::text[], $2::timestamptz[]) AS a(id, since)
         JOIN monitoring_transactions t ON t.account_id = a.id AND t.occurred_at >= a.since
        WHERE t.status = 'evaluated'`,
    [ids, froms],
  );
  const marks = await c.query<{ account_id: string; w: Date }>(
    `SELECT account_id, max(occurred_at) AS w FROM monitoring_transactions
        WHERE account_id = ANY($1) AND status = 'evaluated' GROUP BY account_id`,
    [ids],
  );
  const seen = await c.query<{ account_id: string; counterparty_id: string; first: Date }>(
    `SELECT t.account_id, t.counterparty_id, min(t.occurred_at) AS first
         FROM unnest($1::text[], $2::timestamptz[]) AS a(id, upto)
         JOIN monitoring_transactions t ON t.account_id = a.id AND t.occurred_at < a.upto
        WHERE t.status = 'evaluated' AND t.channel <> 'card'
        GROUP BY t.account_id, t.counterparty_id`,
    [ids, starts],
  );
  const alerts = await c.query<{
    account_id: string;
    rule_set_version: number;
    mode: string;
    typology: string;
    decision: 'alert' | 'block';
    transaction_ids: string[];
  }>(
    `SELECT account_id, rule_set_version, mode, typology, decision, transaction_ids FROM monitoring_alerts
        WHERE account_id = ANY($1)`,
    [ids],
  );
  for (const r of txs.rows) out.get(r.data.account_id)?.transactions.push(timed(r.data));
  for (const a of out.values())
    a.transactions.sort((x, y) => x.at - y.at || (x.transaction_id < y.transaction_id ? -1 : 1));
  for (const r of marks.rows) (out.get(r.account_id) as StoredAccount).watermark = r.w.getTime();
  for (const r of seen.rows) out.get(r.account_id)?.firstSeen.set(r.counterparty_id, r.first.getTime());
  for (const r of alerts.rows)
    out.get(r.account_id)?.alerts.push({
      version: r.rule_set_version,
      mode: r.mode,
      typology: r.typology,
      decision: r.decision,
      transaction_ids: r.transaction_ids,
    });
  return out;
}

/** The engine state of one account for one rule-set version, with history before `from`. */
export function stateFor(a: StoredAccount, from: number, version: number, mode: string): AccountState {
  return {
    history: a.transactions.filter((t) => t.at < from),
    firstSeen: new Map(a.firstSeen),
    alerts: a.alerts.filter((x) => x.version === version && x.mode === mode),
  };
}
