import { formatMicros } from '../../core/time';
import type { Database } from '../../db/client';
import { decodeCursor, encodeCursor } from './cursor';
import { filterDigest, filterOf, type EventFilter, type EventSearch } from './filter';
import type { LedgerEventView } from '../../ledger/query';
import { searchSql } from './search-sql';

/** One ledger event as an auditor reads it (with its payload digest); `payload` is null once purged. Hashes are hex. */
export type EventView = LedgerEventView & { payload_digest: string };

/** A row selected with EVENT_COLUMNS plus `payload` and `purged`. */
export interface EventRow {
  stream: string;
  seq: string | number;
  event_id: string;
  event_type: string;
  occurred_us: string;
  actor_type: string;
  actor_id: string;
  resource_type: string;
  resource_id: string;
  action: string;
  outcome: string;
  subject_id: string | null;
  case_id: string | null;
  context: Record<string, unknown>;
  schema_version: number;
  idempotency_key: string;
  payload_digest: string;
  hash: string;
  prev_hash: string;
  payload: Record<string, unknown> | null;
  /** Selected by searchSql (exports need it); hex, null once purged. */
  payload_salt?: string | null;
  purged: boolean;
}

/** Maps a selected row to its {@link EventView}. */
export function toEventView(row: EventRow): EventView {
  return {
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
    payload_digest: row.payload_digest,
    hash: row.hash,
    prev_hash: row.prev_hash,
  };
}

/** One page of a search and the cursor of the next page (null on the last page). */
export interface EventPage {
  events: EventView[];
  next_cursor: string | null;
  filter: EventFilter;
}

/**
 * Events of every stream matching `search`, in (occurred_at, stream, seq) order, one page at a
 * time. Throws InputError for a cursor that is not this API's or belongs to another filter.
 * Safe for the reader role.
 */
export async function searchEvents(db: Database, search: EventSearch): Promise<EventPage> {
  const filter = filterOf(search);
  const digest = filterDigest(filter, search.order);
  const after = search.cursor ? decodeCursor(search.cursor, digest) : undefined;
  const q = searchSql(filter, { after, order: search.order, limit: search.limit + 1 });
  const r = await db.$client.query<EventRow>(q.text, q.values);
  const rows = r.rows.slice(0, search.limit);
  const last = rows.at(-1);
  return {
    events: rows.map(toEventView),
    next_cursor:
      r.rows.length > search.limit && last
        ? encodeCursor(digest, { occurredUs: last.occurred_us, stream: last.stream, seq: Number(last.seq) })
        : null,
    filter,
  };
}
