-- Read-record speed (issue 19): the one-statement append and ledger_lock_head are planned
-- generically, so a stream absent from the statistics no longer makes them probe idempotency keys
-- by reading the whole stream.
-- See db/sql/ledger.sql.

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
