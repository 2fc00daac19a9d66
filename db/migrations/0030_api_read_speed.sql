-- Custom migration: the auditor API's read speed (issue 19).
-- 1. One-round-trip append (ledger/append-one-trip.ts): one statement in autocommit locks the
--    stream head, chains, inserts and commits; the API's read records use it.
CREATE OR REPLACE FUNCTION ledger_append_events(
  p_stream text, p_keys text[], p_event_ids uuid[], p_event_types text[], p_actor_types text[],
  p_actor_ids text[], p_resource_types text[], p_resource_ids text[], p_actions text[],
  p_outcomes text[], p_subject_ids text[], p_case_ids text[], p_contexts jsonb[],
  p_schema_versions integer[], p_digests bytea[], p_salts bytea[], p_payloads jsonb[],
  p_env_heads text[], p_env_tails text[])
RETURNS TABLE (idempotency_key text, seq bigint, event_id uuid, hash bytea, occurred_us bigint, created boolean)
LANGUAGE plpgsql AS $$
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
--> statement-breakpoint
REVOKE ALL ON FUNCTION ledger_append_events(text, text[], uuid[], text[], text[], text[], text[], text[], text[], text[], text[], text[], jsonb[], integer[], bytea[], bytea[], jsonb[], text[], text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION ledger_append_events(text, text[], uuid[], text[], text[], text[], text[], text[], text[], text[], text[], text[], jsonb[], integer[], bytea[], bytea[], jsonb[], text[], text[]) TO ledgerflow_writer;
--> statement-breakpoint
-- 2. Full text (the API's `q`): identifiers as whole tokens beside their words, so a search for
--    `user-42` reads the rare token's posting list, not those of `user` and `42` (every event has
--    `user`). ledger_text_runs (db/sql/ledger.sql) lists them. The index replaces 0023's
--    ledger_events_text; services/events/search-sql.ts repeats its expression exactly.
--    Rebuild cost: CREATE INDEX reads every event and blocks appends while it runs (1M events:
--    see docs/api.md). On a large ledger build it first by hand with
--    CREATE INDEX CONCURRENTLY IF NOT EXISTS (the same statement below), then migrate.
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
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_events_text_runs ON ledger_events USING gin (
  (to_tsvector('simple'::regconfig, translate(event_type || ' ' || action || ' ' || outcome || ' ' || actor_type || ' ' || actor_id || ' ' || resource_type || ' ' || resource_id, '._:/-', '     '))
   || array_to_tsvector(ledger_text_runs(event_type || ' ' || action || ' ' || outcome || ' ' || actor_type || ' ' || actor_id || ' ' || resource_type || ' ' || resource_id)))
);
--> statement-breakpoint
DROP INDEX IF EXISTS ledger_events_text;
