import { z } from 'zod';
import type { Alert } from '../../core/monitoring/alert';
import type { Database } from '../../db/client';
import { InputError } from '../../runtime/errors';

/** Filters of `alerts list` / `GET /v1/alerts`. Without `limit`, every matching alert is returned. */
export const AlertQuerySchema = z
  .object({
    account: z.string().min(1).max(200).optional(),
    rule: z.string().min(1).max(100).optional(),
    mode: z.enum(['live', 'shadow']).default('live'),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export type AlertQuery = z.input<typeof AlertQuerySchema>;

interface Row {
  alert_id: string;
  account_id: string;
  transaction_ids: string[];
  typology: string;
  score: number;
  decision: 'alert' | 'block';
  rules: Alert['rules'];
  snapshot: Alert['snapshot'];
  created_at: Date;
  created_us: string;
  rule_set_version: number;
  mode: 'live' | 'shadow';
  trigger_transaction_id: string;
}

const toAlert = (r: Row): Alert => ({
  alert_id: r.alert_id,
  account_id: r.account_id,
  transaction_ids: r.transaction_ids,
  typology: r.typology,
  score: r.score,
  decision: r.decision,
  rules: r.rules,
  snapshot: r.snapshot,
  created_at: r.created_at.toISOString(),
  rule_set_version: r.rule_set_version,
  mode: r.mode,
  trigger_transaction_id: r.trigger_transaction_id,
});

const COLUMNS = `alert_id, account_id, transaction_ids, typology, score, decision, rules, snapshot, created_at,
  (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_us, rule_set_version, mode, trigger_transaction_id`;

function decodeCursor(cursor: string): [string, string] {
  const m = /^(\d{1,20})_([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new InputError('invalid cursor');
  return [m[1] as string, m[2] as string];
}

/** Alerts in creation order; `next_cursor` is set when `limit` cut the list. */
export async function listAlerts(
  db: Database,
  raw: AlertQuery,
): Promise<{ alerts: Alert[]; next_cursor: string | null }> {
  const q = AlertQuerySchema.parse(raw);
  const where = ['mode = $1'];
  const args: unknown[] = [q.mode];
  if (q.account) where.push(`account_id = $${args.push(q.account)}`);
  if (q.rule) where.push(`fired_rules @> ARRAY[$${args.push(q.rule)}]::text[]`);
  if (q.cursor) {
    const [us, id] = decodeCursor(q.cursor);
    where.push(
      `((extract(epoch FROM created_at) * 1000000)::bigint, alert_id) > ($${args.push(us)}::bigint, $${args.push(id)}::uuid)`,
    );
  }
  const limit = q.limit ? ` LIMIT ${q.limit + 1}` : '';
  const { rows } = await db.$client.query<Row>(
    `SELECT ${COLUMNS} FROM monitoring_alerts WHERE ${where.join(' AND ')} ORDER BY created_at, alert_id${limit}`,
    args,
  );
  const more = q.limit !== undefined && rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page.at(-1);
  return {
    alerts: page.map(toAlert),
    next_cursor:
      more && last ? Buffer.from(`${last.created_us}_${last.alert_id}`).toString('base64url') : null,
  };
}

/** One alert by id, or null. */
export async function getAlert(db: Database, alertId: string): Promise<Alert | null> {
  if (!/^[0-9a-f-]{36}$/i.test(alertId)) return null;
  const { rows } = await db.$client.query<Row>(
    `SELECT ${COLUMNS} FROM monitoring_alerts WHERE alert_id = $1`,
    [alertId],
  );
  return rows[0] ? toAlert(rows[0]) : null;
}
