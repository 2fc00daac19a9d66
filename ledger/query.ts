import { z } from 'zod';
import { STREAM_NAME } from '../core/audit-event';
import { formatMicros } from '../core/time';
import type { Database } from '../db/client';
import { workflowIdIs } from './workflow-id-sql';

/** Filters for reading the ledger; all optional, combined with AND. */
export const EventQuerySchema = z
  .object({
    stream: z
      .string()
      .regex(STREAM_NAME, 'stream must be 1-63 chars of a-z, 0-9, "_", "." or "-"')
      .default('default'),
    subject_id: z.string().min(1).max(200).optional(),
    case_id: z.string().min(1).max(200).optional(),
    workflow_id: z.string().min(1).max(300).optional(),
    event_type: z.string().min(1).max(120).optional(),
    after_seq: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type EventQuery = z.input<typeof EventQuerySchema>;

/** One ledger event as read back, with its chain fields; `payload` is null once purged. */
export interface LedgerEventView {
  stream: string;
  seq: number;
  event_id: string;
  event_type: string;
  occurred_at: string;
  actor: { type: string; id: string };
  resource: { type: string; id: string };
  action: string;
  outcome: string;
  subject_id: string | null;
  case_id: string | null;
  context: Record<string, unknown>;
  schema_version: number;
  idempotency_key: string;
  payload: Record<string, unknown> | null;
  payload_purged: boolean;
  hash: string;
  prev_hash: string;
}

/** Reads events in seq order with keyset pagination (`after_seq`). Safe for the reader role. */
export async function queryEvents(db: Database, query: EventQuery): Promise<LedgerEventView[]> {
  const q = EventQuerySchema.parse(query);
  const where = ['e.stream = $1', 'e.seq > $2'];
  const params: unknown[] = [q.stream, q.after_seq];
  const add = (sql: (param: string) => string, v: unknown) => {
    params.push(v);
    where.push(sql(`$${params.length}`));
  };
  if (q.subject_id) add((p) => `e.subject_id = ${p}`, q.subject_id);
  if (q.case_id) add((p) => `e.case_id = ${p}`, q.case_id);
  if (q.workflow_id) add((p) => workflowIdIs('e.context', p), q.workflow_id);
  if (q.event_type) add((p) => `e.event_type = ${p}`, q.event_type);
  params.push(q.limit);
  const r = await db.$client.query(
    `SELECT e.stream, e.seq, e.event_id, e.event_type,
            ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text AS occurred_us,
            e.actor_type, e.actor_id, e.resource_type, e.resource_id, e.action, e.outcome,
            e.subject_id, e.case_id, e.context, e.schema_version, e.idempotency_key,
            encode(e.hash, 'hex') AS hash, encode(e.prev_hash, 'hex') AS prev_hash,
            p.payload, (pp.seq IS NOT NULL) AS purged
       FROM ledger_events e
       LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
       LEFT JOIN LATERAL ledger_payload_purge_of(e.stream, e.seq) pp ON true
      WHERE ${where.join(' AND ')}
      ORDER BY e.seq
      LIMIT $${params.length}`,
    params,
  );
  return r.rows.map((row) => ({
    stream: row.stream,
    seq: Number(row.seq),
    event_id: row.event_id,
    event_type: row.event_type,
    occurred_at: formatMicros(row.occurred_us),
    actor: { type: row.actor_type, id: row.actor_id },
    resource: { type: row.resource_type, id: row.resource_id },
    action: row.action,
    outcome: row.outcome,
    subject_id: row.subject_id,
    case_id: row.case_id,
    context: row.context,
    schema_version: row.schema_version,
    idempotency_key: row.idempotency_key,
    payload: row.payload ?? null,
    payload_purged: row.purged,
    hash: row.hash,
    prev_hash: row.prev_hash,
  }));
}
