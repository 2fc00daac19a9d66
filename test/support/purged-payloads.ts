/**
 * One row (stream, seq, purge_run_id) per payload the purge records cover: a record covers
 * seq..seq_to (seq alone when seq_to is NULL). Use as a subquery: `FROM (${PURGED_PAYLOADS}) pp`.
 */
export const PURGED_PAYLOADS = `SELECT r.stream, q.seq, r.purge_run_id
  FROM ledger_payload_purges r CROSS JOIN LATERAL generate_series(r.seq, coalesce(r.seq_to, r.seq)) AS q(seq)`;
