-- Current definitions of the ledger's functions: append-only guards, DDL guards, append helper.
-- A change here needs a migration with the same statement (see README.md). The triggers,
-- event triggers and grants that use these functions live in the migrations (0001, 0003, 0016).

-- Append-only: row triggers reject UPDATE/DELETE, statement triggers reject TRUNCATE.
CREATE OR REPLACE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- BEFORE UPDATE on ledger_payloads (since 0016 DELETE goes through ledger_payload_delete_guard).
CREATE OR REPLACE FUNCTION ledger_payload_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- A payload may disappear only through a recorded purge (the purge function writes the record first).
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM ledger_payload_purges p WHERE p.stream = OLD.stream AND p.seq = OLD.seq
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'ledger_payloads is append-only: % is allowed only through a recorded purge', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

-- The purge record covering the payload (p_stream, p_seq), if any: a record covers seq..seq_to
-- (seq alone when seq_to is NULL). The purge writes disjoint ranges, so only the last record
-- starting at or before p_seq can cover it: one backward index probe. Inlined by the planner.
CREATE OR REPLACE FUNCTION ledger_payload_purge_of(p_stream text, p_seq bigint)
RETURNS SETOF ledger_payload_purges LANGUAGE sql STABLE AS $$
  SELECT r.* FROM (SELECT * FROM ledger_payload_purges p WHERE p.stream = p_stream AND p.seq <= p_seq
                    ORDER BY p.seq DESC LIMIT 1) r
   WHERE coalesce(r.seq_to, r.seq) >= p_seq
$$;

-- A payload may disappear only through a recorded purge: checked once per DELETE statement
-- over the deleted rows (transition table ledger_payload_gone), per stream, against the records
-- that can cover them (those starting within the deleted seqs, and the last one before). Each
-- record start carries the furthest record end so far ("reach"); a deleted seq is covered when
-- the reach at the last record starting at or before it (a binary search, width_bucket) reaches
-- it. No sort or join of the deleted rows: the purge deletes and records in one statement and
-- this check runs at its end. Its own plan settings: it may run inside the purge function.
CREATE OR REPLACE FUNCTION ledger_payload_delete_guard() RETURNS trigger LANGUAGE plpgsql
  SET jit = off
AS $$
DECLARE bad record;
BEGIN
  WITH b AS (SELECT g.stream, min(g.seq) AS lo, max(g.seq) AS hi, array_agg(g.seq) AS seqs
               FROM ledger_payload_gone g GROUP BY g.stream)
  SELECT b.stream, s.seq INTO bad
    FROM b CROSS JOIN LATERAL (
           SELECT array_agg(r.seq ORDER BY r.seq) AS starts, array_agg(r.reach ORDER BY r.seq) AS reach
             FROM (SELECT q.seq, max(q.seq_end) OVER (ORDER BY q.seq) AS reach FROM (
                     (SELECT p.seq, coalesce(p.seq_to, p.seq) AS seq_end FROM ledger_payload_purges p
                       WHERE p.stream = b.stream AND p.seq <= b.lo ORDER BY p.seq DESC LIMIT 1)
                     UNION ALL
                     SELECT p.seq, coalesce(p.seq_to, p.seq) FROM ledger_payload_purges p
                      WHERE p.stream = b.stream AND p.seq > b.lo AND p.seq <= b.hi) q) r) c
    CROSS JOIN LATERAL unnest(b.seqs) AS s(seq)
   WHERE NOT coalesce(c.reach[width_bucket(s.seq, c.starts)] >= s.seq, false)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger_payloads is append-only: DELETE of %/% is allowed only through a recorded purge', bad.stream, bad.seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;

-- Event triggers (created only by a superuser) stop the owner from disabling or dropping the
-- guards. \y is a word boundary in PostgreSQL regular expressions (\b would be a backspace).
CREATE OR REPLACE FUNCTION ledger_guard_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  SELECT string_agg(t.tgname, ', ') INTO bad
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relname IN ('ledger_events', 'ledger_payloads', 'ledger_payload_purges',
                      'ledger_checkpoints', 'ledger_merkle_tiles', 'ledger_signing_keys')
    AND t.tgname LIKE 'ledger\_%' AND t.tgenabled = 'D';
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger guard triggers may not be disabled (%)', bad USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;

CREATE OR REPLACE FUNCTION ledger_guard_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE obj record;
BEGIN
  FOR obj IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF obj.object_type IN ('table', 'trigger') AND obj.object_identity ~ '(^|\.| on )(public\.)?ledger_(events|payloads|payload_purges|checkpoints|merkle_tiles|signing_keys)\y' THEN
      RAISE EXCEPTION 'ledger objects may not be dropped (%)', obj.object_identity USING ERRCODE = 'insufficient_privilege';
    END IF;
  END LOOP;
END $$;

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
