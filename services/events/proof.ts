import { parseHead, type ParsedHead } from '../../core/ledger-head';
import type { Database } from '../../db/client';
import { latestHead } from '../../ledger/head';
import { proveInclusion, type InclusionProofDoc } from '../../ledger/proofs';
import { EVENT_COLUMNS } from './search-sql';
import { toEventView, type EventRow, type EventView } from './search';

/** A signed ledger head as served: its version, timestamp, streams and the signed text. */
export interface HeadView {
  version: number;
  timestamp: string;
  previous: string;
  key_ids: string[];
  streams: Array<{ stream: string; tree_size: number; root_hash: string }>;
  /** The signed head text (docs/ledger-format.md#ledger-head), to verify against pinned keys. */
  head: string;
}

/** A head's served form. */
export function headView(h: ParsedHead): HeadView {
  return {
    version: h.version,
    timestamp: h.timestamp,
    previous: h.previous,
    key_ids: h.signatures.map((s) => s.keyId),
    streams: h.streams.map((s) => ({
      stream: s.stream,
      tree_size: s.treeSize,
      root_hash: s.rootHash.toString('hex'),
    })),
    head: h.text,
  };
}

/** No such event (the API answers 404). */
export class EventNotFoundError extends Error {
  readonly code = 'NOT_FOUND';
}

/** The event exists but no signed head covers it yet (the API answers 409). */
export class NotYetSignedError extends Error {
  readonly code = 'NOT_YET_SIGNED';
}

/** One event by (stream, seq), or by event id. */
export async function getEvent(
  db: Database,
  ref: { stream: string; seq: number } | { eventId: string },
): Promise<EventView> {
  const byId = 'eventId' in ref;
  const r = await db.$client.query<EventRow>(
    `SELECT ${EVENT_COLUMNS}, p.payload, (pp.seq IS NOT NULL) AS purged
       FROM ledger_events e
       LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
       LEFT JOIN LATERAL ledger_payload_purge_of(e.stream, e.seq) pp ON true
      WHERE ${byId ? 'e.event_id = $1::uuid' : 'e.stream = $1 AND e.seq = $2'}`,
    byId ? [ref.eventId] : [ref.stream, ref.seq],
  );
  const row = r.rows[0];
  if (!row)
    throw new EventNotFoundError(byId ? `no event ${ref.eventId}` : `no event ${ref.stream}:${ref.seq}`);
  return toEventView(row);
}

/** An event with its inclusion proof against the latest signed ledger head. */
export interface ProvenEvent {
  event: EventView;
  proof: InclusionProofDoc;
  head: HeadView;
}

/**
 * The event and its RFC 6962 inclusion proof against the latest signed head's root of its
 * stream (the checkpoint at that tree size carries the same root, signed). InputError when no
 * head covers the event yet (sign one with `ledgerflow ledger checkpoint`).
 */
export async function proveEvent(
  db: Database,
  ref: { stream: string; seq: number } | { eventId: string },
): Promise<ProvenEvent> {
  const event = await getEvent(db, ref);
  const head = await latestHead(db);
  const entry = head?.streams.find((s) => s.stream === event.stream);
  if (!head || !entry || entry.treeSize < event.seq)
    throw new NotYetSignedError(
      `event ${event.stream}:${event.seq} is not yet covered by a signed ledger head (the next checkpoint signs it)`,
    );
  const proof = await proveInclusion(db, { stream: event.stream, seq: event.seq, treeSize: entry.treeSize });
  return { event, proof, head: headView(head) };
}

/** Signed heads, newest first, `limit` at most, before version `before` when given. */
export async function listHeads(
  db: Database,
  opts: { limit: number; before?: number },
): Promise<{ heads: HeadView[]; next_before: number | null }> {
  const r = await db.$client.query<{ version: string; head: string }>(
    `SELECT version, head FROM ledger_heads ${opts.before ? 'WHERE version < $2' : ''}
      ORDER BY version DESC LIMIT $1`,
    opts.before ? [opts.limit + 1, opts.before] : [opts.limit + 1],
  );
  const heads = r.rows.slice(0, opts.limit).map((x) => headView(parseHead(x.head)));
  return {
    heads,
    next_before: r.rows.length > opts.limit ? (heads.at(-1)?.version ?? null) : null,
  };
}
