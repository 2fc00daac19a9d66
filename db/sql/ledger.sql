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
-- Planned generically for the same reason as ledger_append_events below (a stream absent from the
-- statistics made every key's probe read the whole stream through the primary key).
CREATE OR REPLACE FUNCTION ledger_lock_head(p_stream text, p_keys text[])
RETURNS TABLE (head_seq bigint, head_hash bytea, now_us bigint, existing jsonb)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
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

-- One-round-trip append (ledger/append-one-trip.ts): one call in autocommit locks the stream head
-- (the same advisory lock as ledger_lock_head, so it serialises with every other appender),
-- returns events already appended under the given keys, and chains and inserts the rest. The
-- caller hashes everything that does not depend on the database: the payload digest, and the
-- canonical envelope around its occurred_at value (p_env_heads[i] || occurred_at ||
-- p_env_tails[i]); the chain hash is the one ledger/append.ts computes:
-- SHA-256(prev_hash || seq as u64 big-endian || envelope || payload_digest).
-- Generic plans: a stream begun after the last ANALYZE (the API's `access` stream) is absent from
-- the statistics, so a plan for its name took it for one row and probed the keys by scanning the
-- stream's primary key, reading every event of the stream per call (a read record cost more than
-- the one before). Planned for any stream, the probe uses the (stream, idempotency_key) index.
CREATE OR REPLACE FUNCTION ledger_append_events(
  p_stream text, p_keys text[], p_event_ids uuid[], p_event_types text[], p_actor_types text[],
  p_actor_ids text[], p_resource_types text[], p_resource_ids text[], p_actions text[],
  p_outcomes text[], p_subject_ids text[], p_case_ids text[], p_contexts jsonb[],
  p_schema_versions integer[], p_digests bytea[], p_salts bytea[], p_payloads jsonb[],
  p_env_heads text[], p_env_tails text[])
RETURNS TABLE (idempotency_key text, seq bigint, event_id uuid, hash bytea, occurred_us bigint, created boolean)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  n integer := cardinality(p_keys);
  v_seq bigint;
  v_prev bytea;
  v_now timestamptz;
  v_at text;
  v_hash bytea;
  v_known jsonb := '{}'::jsonb;
  v_row jsonb;
  w_idx integer[] := '{}';
  w_seq bigint[] := '{}';
  w_prev bytea[] := '{}';
  w_hash bytea[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock(1818580806, hashtext(p_stream));
  SELECT e.seq, e.hash INTO v_seq, v_prev
    FROM ledger_events e WHERE e.stream = p_stream ORDER BY e.seq DESC LIMIT 1;
  v_seq := coalesce(v_seq, 0);
  v_prev := coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
  -- The database clock at microseconds, written as formatMicros (core/time.ts) writes it.
  v_now := date_trunc('microseconds', clock_timestamp());
  v_at := to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
  SELECT coalesce(jsonb_object_agg(e.idempotency_key, jsonb_build_array(
           e.seq, e.event_id, encode(e.hash, 'hex'),
           ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text)), '{}'::jsonb)
    INTO v_known
    FROM ledger_events e WHERE e.stream = p_stream AND e.idempotency_key = ANY (p_keys);
  FOR i IN 1 .. n LOOP
    v_row := v_known -> p_keys[i];
    IF v_row IS NOT NULL THEN
      idempotency_key := p_keys[i];
      seq := (v_row ->> 0)::bigint;
      event_id := (v_row ->> 1)::uuid;
      hash := decode(v_row ->> 2, 'hex');
      occurred_us := (v_row ->> 3)::bigint;
      created := false;
      RETURN NEXT;
      CONTINUE;
    END IF;
    v_seq := v_seq + 1;
    v_hash := sha256(v_prev || int8send(v_seq)
                     || convert_to(p_env_heads[i] || v_at || p_env_tails[i], 'UTF8') || p_digests[i]);
    w_idx := w_idx || i;
    w_seq := w_seq || v_seq;
    w_prev := w_prev || v_prev;
    w_hash := w_hash || v_hash;
    -- A key repeated later in the same call gets this event, not a second one.
    v_known := v_known || jsonb_build_object(p_keys[i], jsonb_build_array(
                 v_seq, p_event_ids[i], encode(v_hash, 'hex'),
                 ((extract(epoch FROM v_now) * 1000000)::bigint)::text));
    idempotency_key := p_keys[i];
    seq := v_seq;
    event_id := p_event_ids[i];
    hash := v_hash;
    occurred_us := (extract(epoch FROM v_now) * 1000000)::bigint;
    created := true;
    RETURN NEXT;
    v_prev := v_hash;
  END LOOP;
  INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at,
    resource_type, resource_id, action, outcome, subject_id, case_id, context, schema_version,
    idempotency_key, payload_digest, prev_hash, hash)
  SELECT p_stream, w.s, p_event_ids[w.i], p_event_types[w.i], p_actor_types[w.i], p_actor_ids[w.i], v_now,
         p_resource_types[w.i], p_resource_ids[w.i], p_actions[w.i], p_outcomes[w.i], p_subject_ids[w.i],
         p_case_ids[w.i], p_contexts[w.i], p_schema_versions[w.i], p_keys[w.i], p_digests[w.i], w.ph, w.h
    FROM unnest(w_idx, w_seq, w_prev, w_hash) AS w(i, s, ph, h);
  INSERT INTO ledger_payloads (stream, seq, salt, payload)
  SELECT p_stream, w.s, p_salts[w.i], p_payloads[w.i] FROM unnest(w_idx, w_seq) AS w(i, s);
END $$;

-- Identifiers as whole search tokens (the API's full-text `q`, services/events/search-sql.ts):
-- every run of two or more words of a whitespace-separated chunk, words being split at `.`, `_`,
-- `:`, `/` and `-` and the run keeping its separators, lowercased. `bench.type_7` gives
-- `bench.type`, `type_7` and `bench.type_7`; a search for `user-42` then reads the posting list of
-- the rare token `user-42` instead of those of `user` and `42`. Runs span at most 16 words.
-- COST: it is plpgsql run per row; at the default cost the planner filtered a whole time-ordered
-- index scan through it rather than asking the text index for a rare token.
CREATE OR REPLACE FUNCTION ledger_text_runs(p_text text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
DECLARE
  chunk text;
  words text[];
  starts integer[];
  n integer;
  runs text[] := '{}';
BEGIN
  -- String functions only (no regular expressions): this runs for every appended event.
  FOREACH chunk IN ARRAY string_to_array(translate(lower(p_text), E'\t\n\r\f\v', '     '), ' ') LOOP
    CONTINUE WHEN translate(chunk, '._:/-', '') = chunk;
    words := string_to_array(translate(chunk, '_:/-', '....'), '.');
    n := cardinality(words);
    starts := ARRAY[1];
    FOR i IN 2 .. n LOOP
      starts := starts || (starts[i - 1] + length(words[i - 1]) + 1);
    END LOOP;
    FOR i IN 1 .. n - 1 LOOP
      CONTINUE WHEN words[i] = '';
      FOR j IN i + 1 .. least(n, i + 15) LOOP
        -- A tsvector lexeme holds at most 2047 bytes (array_to_tsvector would cut a longer one).
        CONTINUE WHEN words[j] = '' OR starts[j] + length(words[j]) - starts[i] > 500;
        runs := runs || substr(chunk, starts[i], starts[j] + length(words[j]) - starts[i]);
      END LOOP;
    END LOOP;
  END LOOP;
  RETURN runs;
END $$;

-- The (stream, tree size) lines of a signed head, read as loosely as a line can be: every line of
-- the text that starts "<word> <size> " (a superset of the lines parseHead accepts), so an index
-- built from it never misses a stream a head lists.
CREATE OR REPLACE FUNCTION ledger_head_lines(p_head text)
RETURNS TABLE (stream text, tree_size bigint) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT DISTINCT m[1], m[2]::bigint FROM regexp_matches(p_head, '^([^ ]+) ([1-9][0-9]{0,15}) ', 'gn') AS m;
$$;

-- Indexes each new head's stream lines in ledger_head_streams (which no app role may write).
CREATE OR REPLACE FUNCTION ledger_index_head_streams() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO ledger_head_streams (stream, tree_size, version)
  SELECT l.stream, l.tree_size, NEW.version FROM ledger_head_lines(NEW.head) l
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
