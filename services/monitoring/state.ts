import type { ClientBase } from 'pg';
import { HISTORY_DAYS, type AccountState } from '../../core/monitoring/engine';
import { timed, type TimedTransaction, type Transaction } from '../../core/monitoring/transaction';

const DAY = 86_400_000;

/** An alert of the account, as suppression needs it (all rule-set versions and modes). */
export interface StoredAlert {
  alert_id: string;
  version: number;
  mode: string;
  typology: string;
  decision: 'alert' | 'block';
  transaction_ids: readonly string[];
}

/** What is stored per account: evaluated history, watermark, first-seen counterparties, alerts. */
export interface StoredAccount {
  /** Evaluated transactions from `since` on, in event-time order. */
  transactions: TimedTransaction[];
  /** The history is complete from this event time (epoch ms) on. */
  since: number;
  /** Latest evaluated event time (epoch ms); null without history. */
  watermark: number | null;
  /** When each counterparty (other than card merchants) was first seen, over all stored history. */
  firstSeen: Map<string, number>;
  alerts: StoredAlert[];
  /** The account's mark version this state reflects (0: nothing stored). */
  version: number;
}

/** An account's mark: its version and watermark (monitoring_account_marks). */
export interface AccountMark {
  version: number;
  watermark: number | null;
}

/** The marks of `accounts`; an account without one has nothing stored. */
export async function readMarks(c: ClientBase, accounts: string[]): Promise<Map<string, AccountMark>> {
  const r = await c.query<{ account_id: string; version: number; watermark: Date | null }>(
    `SELECT account_id, version, watermark FROM monitoring_account_marks WHERE account_id = ANY($1)`,
    [accounts],
  );
  return new Map(
    r.rows.map((m) => [m.account_id, { version: m.version, watermark: m.watermark?.getTime() ?? null }]),
  );
}

/** The state of an account with nothing stored. */
export const emptyAccount = (from: number): StoredAccount => ({
  transactions: [],
  since: from - HISTORY_DAYS * DAY,
  watermark: null,
  firstSeen: new Map(),
  alerts: [],
  version: 0,
});

/**
 * Loads the stored state of `accounts` (each with the earliest event time `from` the batch
 * brings and its mark), in one round trip per table. Per-account state lives in PostgreSQL, so
 * any worker can process any account.
 */
export async function loadAccounts(
  c: ClientBase,
  from: Map<string, number>,
  marks: Map<string, AccountMark>,
): Promise<Map<string, StoredAccount>> {
  const ids = [...from.keys()];
  const out = new Map<string, StoredAccount>(
    ids.map((a) => {
      const s = emptyAccount(from.get(a) as number);
      s.watermark = marks.get(a)?.watermark ?? null;
      s.version = marks.get(a)?.version ?? 0;
      return [a, s];
    }),
  );
  const txs = await c.query<{ data: Transaction }>(
    `SELECT t.data FROM unnest($1::text[], $2::timestamptz[]) AS a(id, since)
         JOIN monitoring_transactions t ON t.account_id = a.id AND t.occurred_at >= a.since
        WHERE t.status = 'evaluated'`,
    [ids, ids.map((a) => new Date(out.get(a)!.since).toISOString())],
  );
  const seen = await c.query<{ account_id: string; counterparty_id: string; first: Date }>(
    `SELECT account_id, counterparty_id, min(occurred_at) AS first FROM monitoring_transactions
        WHERE account_id = ANY($1) AND status = 'evaluated' AND channel <> 'card'
        GROUP BY account_id, counterparty_id`,
    [ids],
  );
  const alerts = await c.query<{
    alert_id: string;
    account_id: string;
    rule_set_version: number;
    mode: string;
    typology: string;
    decision: 'alert' | 'block';
    transaction_ids: string[];
  }>(
    `SELECT alert_id, account_id, rule_set_version, mode, typology, decision, transaction_ids FROM monitoring_alerts
        WHERE account_id = ANY($1)`,
    [ids],
  );
  for (const r of txs.rows) out.get(r.data.account_id)?.transactions.push(timed(r.data));
  for (const a of out.values())
    a.transactions.sort((x, y) => x.at - y.at || (x.transaction_id < y.transaction_id ? -1 : 1));
  for (const r of seen.rows) out.get(r.account_id)?.firstSeen.set(r.counterparty_id, r.first.getTime());
  for (const r of alerts.rows)
    out.get(r.account_id)?.alerts.push({
      alert_id: r.alert_id,
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
  const firstSeen = new Map<string, number>();
  for (const [cp, at] of a.firstSeen) if (at < from) firstSeen.set(cp, at);
  return {
    history: a.transactions.filter((t) => t.at < from && t.at >= from - HISTORY_DAYS * DAY),
    firstSeen,
    alerts: a.alerts.filter((x) => x.version === version && x.mode === mode),
  };
}

/**
 * The account state after a committed batch: `evaluated` added to the history (trimmed to
 * what the engine can still need), first-seen counterparties and `alerts` merged, at `version`.
 */
export function advance(
  a: StoredAccount,
  evaluated: TimedTransaction[],
  alerts: StoredAlert[],
  version: number,
): StoredAccount {
  const transactions = [...a.transactions, ...evaluated].sort(
    (x, y) => x.at - y.at || (x.transaction_id < y.transaction_id ? -1 : 1),
  );
  const watermark = Math.max(a.watermark ?? -Infinity, ...evaluated.map((t) => t.at));
  const firstSeen = new Map(a.firstSeen);
  for (const t of evaluated)
    if (t.channel !== 'card' && !(t.at >= (firstSeen.get(t.counterparty_id) ?? Infinity)))
      firstSeen.set(t.counterparty_id, t.at);
  const known = new Set(a.alerts.map((x) => x.alert_id));
  // A margin beyond the rules' window, for arrivals within the allowed lateness.
  const since = Math.max(a.since, watermark - (HISTORY_DAYS + 7) * DAY);
  return {
    transactions: transactions.filter((t) => t.at >= since),
    since,
    watermark: Number.isFinite(watermark) ? watermark : null,
    firstSeen,
    alerts: [...a.alerts, ...alerts.filter((x) => !known.has(x.alert_id))],
    version,
  };
}

/**
 * A worker's cache of account states (least recently used out beyond `limit`). An entry is used
 * only while the account's mark version is the one it was built at, and its history reaches far
 * enough back; anything else (another worker or `tx ingest` wrote the account, a purge) reloads.
 */
export class AccountCache {
  private readonly entries = new Map<string, StoredAccount>();
  /** Lookups answered from the cache, and those that had to load. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(private readonly limit = 10_000) {}

  /** The cached state of `account` if it is still valid for `mark` and a batch from `from`. */
  get(account: string, mark: AccountMark, from: number): StoredAccount | undefined {
    const e = this.entries.get(account);
    if (!e || e.version !== mark.version || from - HISTORY_DAYS * DAY < e.since) {
      this.stats.misses++;
      return undefined;
    }
    this.entries.delete(account);
    this.entries.set(account, e);
    this.stats.hits++;
    return e;
  }

  put(account: string, state: StoredAccount): void {
    this.entries.delete(account);
    this.entries.set(account, state);
    if (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
  }

  drop(account: string): void {
    this.entries.delete(account);
  }
}
