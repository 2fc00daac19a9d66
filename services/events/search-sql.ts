import { randomBytes } from 'node:crypto';
import type { CursorPosition } from './cursor';
import type { EventFilter } from './filter';
import { workflowIdIs } from '../../ledger/workflow-id-sql';

const ENVELOPE_TEXT = `e.event_type || ' ' || e.action || ' ' || e.outcome || ' ' || e.actor_type || ' ' || e.actor_id || ' ' || e.resource_type || ' ' || e.resource_id`;

/**
 * The envelope text the `ledger_events_text_runs` index covers (migration 0030): its words
 * (punctuation split) and its identifiers as whole tokens (ledger_text_runs). Keep them identical:
 * the planner matches the expression textually.
 */
export const ENVELOPE_TSVECTOR = `(to_tsvector('simple'::regconfig, translate(${ENVELOPE_TEXT}, '._:/-', '     ')) || array_to_tsvector(ledger_text_runs(${ENVELOPE_TEXT})))`;

/** The payload text the `ledger_payloads_text` index covers (migration 0023). */
export const PAYLOAD_TSVECTOR = `jsonb_to_tsvector('simple'::regconfig, p.payload, '["string"]'::jsonb)`;

/** Punctuation the envelope index turns into spaces; the query text gets the same treatment. */
export const searchWords = (q: string) => q.replace(/[._:/-]/g, ' ');

/** Placeholder suffixes: at most this many identifiers per query are searched whole (the rest as words). */
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** A word joined by `.`, `_`, `:`, `/` or `-` to more words: searched as one whole token. */
const IDENTIFIER = /^[\p{L}\p{N}]+(?:[._:/-]+[\p{L}\p{N}]+)+$/u;

/**
 * The `q` condition: `websearch` syntax over the envelope's words, except that an identifier
 * outside quotes (`user-42`, `-user-42` to exclude it) must appear whole, as a run of words with
 * those separators in one field. Each identifier goes to websearch_to_tsquery as a placeholder
 * word (random per query, so no typed word can equal it) and is then swapped for its exact token
 * (ts_rewrite): the rare token drives the index scan, not the common words it is made of.
 */
export function textCondition(q: string, p: (v: unknown) => string): string {
  const nonce = `lfid${randomBytes(6)
    .toString('hex')
    .replace(/\d/g, (d) => 'ghijklmnop'[Number(d)] as string)}`;
  const ids: string[] = [];
  let quoted = false;
  const text = q
    .split(/(\s+)/)
    .map((piece) => {
      const inQuotes = quoted;
      if ((piece.match(/"/g)?.length ?? 0) % 2 === 1) quoted = !quoted;
      const neg = piece.startsWith('-') ? '-' : '';
      const body = piece.slice(neg.length);
      if (inQuotes || piece.includes('"') || ids.length === LETTERS.length || !IDENTIFIER.test(body))
        return searchWords(piece);
      ids.push(body);
      return `${neg}${nonce}${LETTERS.charAt(ids.length - 1)}`;
    })
    .join('');
  let query = `websearch_to_tsquery('simple'::regconfig, ${p(text)})`;
  ids.forEach((id, i) => {
    query = `ts_rewrite(${query}, ${p(`${nonce}${LETTERS.charAt(i)}`)}::tsquery, ('''' || lower(${p(id)}::text) || '''')::tsquery)`;
  });
  return `${ENVELOPE_TSVECTOR} @@ ${query}`;
}

/** One parameterised statement: text and its values. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** The columns every event read selects (hashes hex, occurred_at in integer microseconds). */
export const EVENT_COLUMNS = `e.stream, e.seq, e.event_id, e.event_type,
  ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text AS occurred_us,
  e.actor_type, e.actor_id, e.resource_type, e.resource_id, e.action, e.outcome,
  e.subject_id, e.case_id, e.context, e.schema_version, e.idempotency_key,
  encode(e.payload_digest, 'hex') AS payload_digest,
  encode(e.hash, 'hex') AS hash, encode(e.prev_hash, 'hex') AS prev_hash`;

/** WHERE conditions for a filter (and a cursor position), with their parameters. */
export function whereClause(
  filter: EventFilter,
  opts: {
    after?: CursorPosition;
    order?: 'asc' | 'desc';
    values?: unknown[];
    /** Only events under these stream sizes (a signed head's). */
    headCut?: Array<{ stream: string; treeSize: number }>;
  } = {},
): { where: string; values: unknown[] } {
  const values = opts.values ?? [];
  const conds: string[] = [];
  const p = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  if (filter.from) conds.push(`e.occurred_at >= ${p(filter.from)}::timestamptz`);
  if (filter.to) conds.push(`e.occurred_at < ${p(filter.to)}::timestamptz`);
  if (filter.stream) conds.push(`e.stream = ${p(filter.stream)}`);
  if (filter.actor) conds.push(`e.actor_id = ${p(filter.actor)}`);
  if (filter.actor_type) conds.push(`e.actor_type = ${p(filter.actor_type)}`);
  if (filter.action) conds.push(`e.action = ${p(filter.action)}`);
  if (filter.resource_type) conds.push(`e.resource_type = ${p(filter.resource_type)}`);
  if (filter.resource) conds.push(`e.resource_id = ${p(filter.resource)}`);
  if (filter.outcome === 'success') conds.push(`e.outcome = 'success'`);
  else if (filter.outcome) conds.push(`e.outcome <> 'success' AND e.outcome = ${p(filter.outcome)}`);
  if (filter.event_type) conds.push(`e.event_type = ${p(filter.event_type)}`);
  if (filter.subject_id) conds.push(`e.subject_id = ${p(filter.subject_id)}`);
  if (filter.case_id) conds.push(`e.case_id = ${p(filter.case_id)}`);
  if (filter.workflow_id) conds.push(workflowIdIs('e.context', p(filter.workflow_id)));
  if (filter.q) conds.push(textCondition(filter.q, p));
  if (filter.payload_text)
    conds.push(
      `(e.stream, e.seq) IN (SELECT p.stream, p.seq FROM ledger_payloads p WHERE ${PAYLOAD_TSVECTOR} @@ websearch_to_tsquery('simple'::regconfig, ${p(filter.payload_text)}))`,
    );
  if (opts.headCut)
    conds.push(
      `EXISTS (SELECT 1 FROM unnest(${p(opts.headCut.map((h) => h.stream))}::text[], ${p(opts.headCut.map((h) => h.treeSize))}::bigint[]) AS h(s, n) WHERE h.s = e.stream AND e.seq <= h.n)`,
    );
  if (opts.after) {
    const cmp = opts.order === 'desc' ? '<' : '>';
    conds.push(
      `(e.occurred_at, e.stream, e.seq) ${cmp} ('epoch'::timestamptz + ${p(opts.after.occurredUs)}::bigint * interval '1 microsecond', ${p(opts.after.stream)}, ${p(opts.after.seq)}::bigint)`,
    );
  }
  return { where: conds.length ? `WHERE ${conds.join(' AND ')}` : '', values };
}

/** `ORDER BY` of every search: occurred_at, then stream, then seq (a total, stable order). */
export const orderBy = (order: 'asc' | 'desc') =>
  `ORDER BY e.occurred_at ${order}, e.stream ${order}, e.seq ${order}`;

/**
 * One page of events matching a filter, payloads joined after the page is cut (the join never
 * drives the plan). `limit` rows at most.
 */
export function searchSql(
  filter: EventFilter,
  opts: {
    after?: CursorPosition;
    order: 'asc' | 'desc';
    limit: number;
    headCut?: Array<{ stream: string; treeSize: number }>;
  },
): SqlQuery {
  const { where, values } = whereClause(filter, opts);
  values.push(opts.limit);
  const page = `SELECT ${EVENT_COLUMNS} FROM ledger_events e ${where} ${orderBy(opts.order)} LIMIT $${values.length}`;
  return {
    text: `SELECT e.*, p.payload, encode(p.salt, 'hex') AS payload_salt, (pp.seq IS NOT NULL) AS purged
             FROM (${page}) e
             LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
             LEFT JOIN LATERAL ledger_payload_purge_of(e.stream, e.seq) pp ON true
            ORDER BY e.occurred_us::bigint ${opts.order}, e.stream ${opts.order}, e.seq ${opts.order}`,
    values,
  };
}

/**
 * Every event matching a filter under a signed head's stream sizes, in search order, with its
 * payload: one statement for a whole export (read through a cursor), `limit` rows at most.
 */
export function exportSql(
  filter: EventFilter,
  opts: { order: 'asc' | 'desc'; limit: number; headCut: Array<{ stream: string; treeSize: number }> },
): SqlQuery {
  const { where, values } = whereClause(filter, { headCut: opts.headCut });
  values.push(opts.limit);
  return {
    text: `SELECT ${EVENT_COLUMNS}, p.payload, encode(p.salt, 'hex') AS payload_salt, (pp.seq IS NOT NULL) AS purged
             FROM ledger_events e
             LEFT JOIN ledger_payloads p ON p.stream = e.stream AND p.seq = e.seq
             LEFT JOIN ledger_payload_purges pp ON pp.stream = e.stream AND pp.seq = e.seq
             ${where} ${orderBy(opts.order)} LIMIT $${values.length}`,
    values,
  };
}
