-- Append helper: serialises appenders of one stream and returns the chain head, the database
-- clock and any events already appended under the given idempotency keys. Each key is one probe
-- of the (stream, idempotency_key) index (a correlated subquery per key): with `= ANY (keys)` and
-- statistics that undercount the stream (a new or fast-growing stream), the planner read every
-- row of the stream instead, so each batch cost grew with the stream.
CREATE OR REPLACE FUNCTION ledger_lock_head(p_stream text, p_keys text[])
RETURNS TABLE (head_seq bigint, head_hash bytea, now_us bigint, existing jsonb)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1818580806, hashtext(p_stream));
  RETURN QUERY
  SELECT h.seq, h.hash,
         (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
         (SELECT coalesce(jsonb_agg(x.found), '[]'::jsonb)
            FROM (SELECT (SELECT jsonb_build_object(
                           'idempotency_key', e.idempotency_key, 'seq', e.seq, 'event_id', e.event_id,
                           'hash', encode(e.hash, 'hex'),
                           'occurred_us', ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text)
                            FROM ledger_events e WHERE e.stream = p_stream AND e.idempotency_key = k.key) AS found
                    FROM unnest(p_keys) AS k(key)) x
           WHERE x.found IS NOT NULL)
  FROM (SELECT NULL::int AS one) dummy
  LEFT JOIN LATERAL (
    SELECT e.seq, e.hash FROM ledger_events e WHERE e.stream = p_stream ORDER BY e.seq DESC LIMIT 1
  ) h ON true;
END $$;
