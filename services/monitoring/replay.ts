import type { AlertDraft } from '../../core/monitoring/alert';
import {
  byEventTime,
  emptyState,
  evaluateTransaction,
  HISTORY_DAYS,
  type AccountState,
} from '../../core/monitoring/engine';
import { timed, type Transaction } from '../../core/monitoring/transaction';
import { InputError } from '../../runtime/errors';
import type { MonitoringDeps } from './deps';
import { ruleVersion, runningVersions } from './rule-versions';

/** One difference between a replayed version and the stored live alerts. */
export interface AlertDiffLine {
  change: 'added' | 'removed' | 'changed';
  account_id: string;
  typology: string;
  trigger_transaction_id: string;
  live: { decision: string; score: number; alert_id: string } | null;
  replay: { decision: string; score: number; fired_rules: string[] } | null;
}

export interface ReplayReport {
  version: number;
  live_version: number;
  from: string;
  to: string;
  transactions: number;
  replay_alerts: number;
  live_alerts: number;
  diff: AlertDiffLine[];
}

const DAY = 86_400_000;
const key = (a: { account_id: string; typology: string; trigger_transaction_id: string }) =>
  `${a.account_id}\u0000${a.typology}\u0000${a.trigger_transaction_id}`;

/**
 * Re-runs the stored evaluated transactions occurring in [from, to) through rule-set `version`
 * (with the history before `from` as context) and diffs its alerts against the live alerts
 * stored for those transactions, keyed by account, typology and triggering transaction.
 */
export async function replay(
  d: MonitoringDeps,
  opts: { from: string; to: string; version: number },
): Promise<ReplayReport> {
  const from = Date.parse(opts.from);
  const to = Date.parse(opts.to);
  if (Number.isNaN(from) || Number.isNaN(to) || from >= to)
    throw new InputError('--from and --to must be ISO 8601 times with --from before --to');
  const v = await ruleVersion(d, opts.version);
  const { live } = await runningVersions(d);
  const { rows } = await d.db.$client.query<{ data: Transaction }>(
    `SELECT data FROM monitoring_transactions WHERE status = 'evaluated' AND occurred_at >= $1 AND occurred_at < $2
      AND account_id IN (SELECT account_id FROM monitoring_transactions WHERE occurred_at >= $3 AND occurred_at < $2)`,
    [
      new Date(from - HISTORY_DAYS * DAY).toISOString(),
      new Date(to).toISOString(),
      new Date(from).toISOString(),
    ],
  );
  const txs = rows.map((r) => timed(r.data)).sort(byEventTime);
  const states = new Map<string, AccountState>();
  const replayed: AlertDraft[] = [];
  let count = 0;
  for (const t of txs) {
    let s = states.get(t.account_id);
    if (!s) states.set(t.account_id, (s = emptyState()));
    if (t.at < from) {
      // Context before the range: remembered, not evaluated.
      evaluateTransaction({ ...v.ruleSet, typologies: [] }, 'shadow', s, t);
      continue;
    }
    count++;
    replayed.push(...evaluateTransaction(v.ruleSet, 'shadow', s, t));
  }
  const stored = await d.db.$client.query<{
    alert_id: string;
    account_id: string;
    typology: string;
    trigger_transaction_id: string;
    decision: string;
    score: number;
  }>(
    `SELECT a.alert_id, a.account_id, a.typology, a.trigger_transaction_id, a.decision, a.score
       FROM monitoring_alerts a JOIN monitoring_transactions t ON t.transaction_id = a.trigger_transaction_id
      WHERE a.mode = 'live' AND a.rule_set_version = $1 AND t.occurred_at >= $2 AND t.occurred_at < $3`,
    [live.version, new Date(from).toISOString(), new Date(to).toISOString()],
  );
  const liveBy = new Map(stored.rows.map((r) => [key(r), r]));
  const replayBy = new Map(replayed.map((a) => [key(a), a]));
  const diff: AlertDiffLine[] = [];
  for (const [k, a] of replayBy) {
    const l = liveBy.get(k);
    const fired = a.rules.filter((r) => r.result).map((r) => r.rule_id);
    if (!l)
      diff.push({
        change: 'added',
        ...ids(a),
        live: null,
        replay: { decision: a.decision, score: a.score, fired_rules: fired },
      });
    else if (l.decision !== a.decision || l.score !== a.score)
      diff.push({
        change: 'changed',
        ...ids(a),
        live: { decision: l.decision, score: l.score, alert_id: l.alert_id },
        replay: { decision: a.decision, score: a.score, fired_rules: fired },
      });
  }
  for (const [k, l] of liveBy)
    if (!replayBy.has(k))
      diff.push({
        change: 'removed',
        ...ids(l),
        live: { decision: l.decision, score: l.score, alert_id: l.alert_id },
        replay: null,
      });
  return {
    version: v.version,
    live_version: live.version,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    transactions: count,
    replay_alerts: replayed.length,
    live_alerts: stored.rows.length,
    diff,
  };
}

const ids = (a: { account_id: string; typology: string; trigger_transaction_id: string }) => ({
  account_id: a.account_id,
  typology: a.typology,
  trigger_transaction_id: a.trigger_transaction_id,
});
