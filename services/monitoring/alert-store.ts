import type { ClientBase } from 'pg';
import type { AlertDraft } from '../../core/monitoring/alert';
import type { AuditEventInput } from '../../core/audit-event';
import { MAX_BATCH } from '../../ledger/append';
import { MONITORING_STREAM, type MonitoringCall, type MonitoringDeps } from './deps';

const firedRules = (a: AlertDraft) => a.rules.filter((r) => r.result).map((r) => r.rule_id);

/** The ledger event of a live alert: the whole alert and its trace, in the (purgeable) payload. */
function alertEvent(call: MonitoringCall, a: AlertDraft): AuditEventInput {
  return {
    event_type: 'monitoring.alert_raised',
    actor: call.actor,
    resource: { type: 'monitoring_alert', id: a.alert_id },
    action: 'raise',
    outcome: 'success',
    subject_id: a.account_id,
    context: call.context ?? {},
    payload: JSON.parse(JSON.stringify(a)) as Record<string, never>,
  };
}

/**
 * Stores alerts inside the ingest transaction `c`. Live alerts are recorded in the ledger first
 * (idempotent by alert id, so a retried ingest finds its events), then stored with their ledger
 * seq; shadow alerts are only stored. Returns the alerts that were new.
 */
export async function persistAlerts(
  d: MonitoringDeps,
  call: MonitoringCall,
  c: ClientBase,
  alerts: AlertDraft[],
): Promise<AlertDraft[]> {
  if (alerts.length === 0) return [];
  const live = alerts.filter((a) => a.mode === 'live');
  const seq = new Map<string, number>();
  for (let i = 0; i < live.length; i += MAX_BATCH) {
    const batch = live.slice(i, i + MAX_BATCH);
    const r = await d.ledger.appendMany(
      batch.map((a) => ({ event: alertEvent(call, a), idempotencyKey: `monitoring-alert:${a.alert_id}` })),
      { stream: MONITORING_STREAM },
    );
    batch.forEach((a, j) => seq.set(a.alert_id, r[j]!.seq));
  }
  const res = await c.query<{ alert_id: string }>(
    `INSERT INTO monitoring_alerts (alert_id, account_id, typology, score, decision, mode, rule_set_version,
       trigger_transaction_id, transaction_ids, fired_rules, rules, snapshot, ledger_seq)
     SELECT a.alert_id, a.account_id, a.typology, a.score, a.decision, a.mode, a.rule_set_version, a.trigger_transaction_id,
            ARRAY(SELECT jsonb_array_elements_text(a.transaction_ids)), ARRAY(SELECT jsonb_array_elements_text(a.fired_rules)),
            a.rules, a.snapshot, a.ledger_seq
       FROM jsonb_to_recordset($1::jsonb) AS a(alert_id uuid, account_id text, typology text, score real, decision text,
            mode text, rule_set_version int, trigger_transaction_id text, transaction_ids jsonb, fired_rules jsonb,
            rules jsonb, snapshot jsonb, ledger_seq bigint)
     ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id`,
    [
      JSON.stringify(
        alerts.map((a) => ({ ...a, fired_rules: firedRules(a), ledger_seq: seq.get(a.alert_id) ?? null })),
      ),
    ],
  );
  const created = new Set(res.rows.map((r) => r.alert_id));
  return alerts.filter((a) => created.has(a.alert_id));
}
