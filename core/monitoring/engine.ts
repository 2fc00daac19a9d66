import { deterministicUuid } from '../deterministic-id';
import type { AlertDraft, RuleTrace } from './alert';
import type { RuleSet } from './config';
import { HOUR, type RuleInput, type RuleOutcome } from './rule';
import { RULES } from './rules';
import type { TimedTransaction, Transaction } from './transaction';

/** The most transactions an alert snapshot lists (the latest ones of its window). */
export const SNAPSHOT_LIMIT = 100;
/** How far back the engine needs an account's history (the longest rule window, with margin). */
export const HISTORY_DAYS = 181;

/** An earlier alert, as far as suppression needs it. */
export interface PriorAlert {
  typology: string;
  decision: 'alert' | 'block';
  transaction_ids: readonly string[];
}

/**
 * What the engine knows about one account: its evaluated transactions in event-time order
 * (within {@link HISTORY_DAYS}), when each counterparty was first seen, and its earlier alerts.
 * Mutated as transactions are evaluated.
 */
export interface AccountState {
  history: TimedTransaction[];
  firstSeen: Map<string, number>;
  alerts: PriorAlert[];
}

/** A fresh state for an account without history. */
export const emptyState = (): AccountState => ({ history: [], firstSeen: new Map(), alerts: [] });

/** Every enabled rule's outcome for `input.tx`. */
export function runRules(ruleSet: RuleSet, input: RuleInput): Map<string, RuleOutcome> {
  const out = new Map<string, RuleOutcome>();
  for (const [id, cfg] of Object.entries(ruleSet.rules)) {
    const rule = RULES[id];
    if (!rule || !cfg.enabled) continue;
    out.set(id, rule.evaluate(input, cfg.params));
  }
  return out;
}

const strip = (t: TimedTransaction): Transaction => {
  const { at: _at, value: _value, ...tx } = t;
  return tx;
};

/**
 * Evaluates one transaction against the account state, appends it to the state and returns the
 * alerts it raises. An alert is not raised again while an earlier alert of the same typology
 * already covers one of its transactions, unless the decision escalates to block.
 */
export function evaluateTransaction(
  ruleSet: RuleSet,
  mode: 'live' | 'shadow',
  state: AccountState,
  tx: TimedTransaction,
): AlertDraft[] {
  const last = state.history.at(-1);
  const input: RuleInput = {
    tx,
    history: state.history,
    firstSeen: state.firstSeen,
    lastActivityAt: last?.at ?? null,
  };
  const outcomes = runRules(ruleSet, input);
  const drafts: AlertDraft[] = [];
  for (const typ of ruleSet.typologies) {
    let score = 0;
    const fired: RuleOutcome[] = [];
    for (const [ruleId, weight] of Object.entries(typ.weights)) {
      const o = outcomes.get(ruleId);
      if (o?.result) {
        score += weight;
        fired.push(o);
      }
    }
    if (score < typ.alert) continue;
    // The trace lists every rule of the typology, breached or not.
    const trace: RuleTrace[] = [];
    for (const ruleId of Object.keys(typ.weights)) {
      const o = outcomes.get(ruleId);
      const cfg = ruleSet.rules[ruleId];
      if (!o || !cfg) continue;
      trace.push({
        rule_id: ruleId,
        version: cfg.version,
        params: cfg.params,
        value: o.value,
        threshold: o.threshold,
        result: o.result,
      });
    }
    const decision = score >= typ.block ? 'block' : 'alert';
    const ids = [...new Set(fired.flatMap((o) => o.evidence))];
    const covered = state.alerts.some(
      (a) =>
        a.typology === typ.id &&
        (a.decision === 'block' || decision === 'alert') &&
        a.transaction_ids.some((id) => ids.includes(id)),
    );
    if (covered) continue;
    const windowStart = Math.min(...fired.map((o) => o.windowStart));
    const seen = [...state.history.filter((t) => t.at >= windowStart), tx];
    const draft: AlertDraft = {
      alert_id: deterministicUuid(
        `monitoring-alert:${ruleSet.version}:${mode}:${typ.id}:${tx.transaction_id}`,
      ),
      account_id: tx.account_id,
      transaction_ids: ids,
      typology: typ.id,
      score,
      decision,
      rules: trace,
      snapshot: {
        as_of: new Date(tx.at).toISOString(),
        window_start: new Date(windowStart).toISOString(),
        transaction_count: seen.length,
        transactions: seen.slice(-SNAPSHOT_LIMIT).map(strip),
      },
      rule_set_version: ruleSet.version,
      mode,
      trigger_transaction_id: tx.transaction_id,
    };
    drafts.push(draft);
    state.alerts.push(draft);
  }
  remember(state, tx);
  return drafts;
}

/** Adds an evaluated transaction to the state (history in event-time order, counterparties). */
export function remember(state: AccountState, tx: TimedTransaction): void {
  const h = state.history;
  let i = h.length;
  while (i > 0 && (h[i - 1] as TimedTransaction).at > tx.at) i--;
  h.splice(i, 0, tx);
  if (tx.channel !== 'card') {
    const first = state.firstSeen.get(tx.counterparty_id);
    if (first === undefined || tx.at < first) state.firstSeen.set(tx.counterparty_id, tx.at);
  }
  const horizon = (h.at(-1) as TimedTransaction).at - HISTORY_DAYS * 24 * HOUR;
  let drop = 0;
  while (drop < h.length && (h[drop] as TimedTransaction).at < horizon) drop++;
  if (drop) h.splice(0, drop);
}

/** Orders transactions by event time, then id (the engine's deterministic evaluation order). */
export function byEventTime(a: TimedTransaction, b: TimedTransaction): number {
  return (
    a.at - b.at || (a.transaction_id < b.transaction_id ? -1 : a.transaction_id > b.transaction_id ? 1 : 0)
  );
}
