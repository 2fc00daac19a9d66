-- Purge speed (issue 15): the payload guard checks per stream by binary search over the records
-- (no sort of the deleted rows); business rows are hashed from ROW(columns)::text (same text as
-- x::text, cheaper in a DELETE's RETURNING on PostgreSQL 15) with one ordered aggregate per batch;
-- the claim checks only hold scopes that have an active hold (the re-check under the lock, all).
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
--> statement-breakpoint
-- SQL fragments of one data class over alias x (ledger payloads join their event as e). The
-- content digest of a deleted business row is SHA-256 over the row's text form.
CREATE OR REPLACE FUNCTION retention_source(p_class text,
  OUT tbl text, OUT from_sql text, OUT key_sql text, OUT order_sql text, OUT order_cols text, OUT outer_order text,
  OUT outer_order_desc text, OUT cursor_sql text, OUT cursor_cond text, OUT created_sql text, OUT closed_sql text,
  OUT last_sql text, OUT subject_sql text, OUT case_sql text, OUT restype_sql text, OUT resid_sql text,
  OUT digest_sql text, OUT is_ledger boolean)
LANGUAGE plpgsql STABLE SET search_path = public, pg_temp AS $$
DECLARE
  dc retention_data_classes;
  col text;
  typ text;
  i int := 0;
  cols text[] := '{}';
  conds_l text[] := '{}';
  conds_r text[] := '{}';
  sel text[] := '{}';
  outer_cols text[] := '{}';
  outer_desc text[] := '{}';
  col_expr text := 'x.%I';
BEGIN
  SELECT * INTO dc FROM retention_data_classes d WHERE d.data_class = p_class;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown retention data class "%"', p_class USING ERRCODE = '22023';
  END IF;
  IF to_regclass(dc.table_name) IS NULL THEN
    RAISE EXCEPTION 'data class "%": table % does not exist', p_class, dc.table_name USING ERRCODE = '42P01';
  END IF;
  tbl := dc.table_name;
  is_ledger := dc.table_name = 'ledger_payloads';
  FOREACH col IN ARRAY dc.key_columns LOOP
    i := i + 1;
    SELECT format_type(a.atttypid, a.atttypmod) INTO typ FROM pg_attribute a
     WHERE a.attrelid = to_regclass(dc.table_name) AND a.attname = col AND NOT a.attisdropped;
    IF typ IS NULL THEN
      RAISE EXCEPTION 'data class "%": key column %.% does not exist', p_class, dc.table_name, col USING ERRCODE = '42703';
    END IF;
    cols := cols || format('x.%I', col);
    conds_l := conds_l || format('x.%I', col);
    conds_r := conds_r || format('($2->>%s)::%s', i - 1, typ);
    sel := sel || format('x.%I AS o%s', col, i);
    outer_cols := outer_cols || format('c.o%s', i);
    outer_desc := outer_desc || format('c.o%s DESC', i);
  END LOOP;
  order_sql := array_to_string(cols, ', ');
  order_cols := array_to_string(sel, ', ');
  outer_order := array_to_string(outer_cols, ', ');
  outer_order_desc := array_to_string(outer_desc, ', ');
  cursor_sql := format('jsonb_build_array(%s)', order_sql);
  cursor_cond := format('((%s) > (%s))', array_to_string(conds_l, ', '), array_to_string(conds_r, ', '));
  IF is_ledger THEN
    from_sql := 'ledger_payloads x JOIN ledger_events e ON e.stream = x.stream AND e.seq = x.seq';
    key_sql := $k$(x.stream || ':' || x.seq)$k$;
    col_expr := 'e.%I';
    digest_sql := 'e.payload_digest';
    restype_sql := 'e.resource_type';
  ELSE
    from_sql := format('%I x', dc.table_name);
    key_sql := CASE WHEN cardinality(dc.key_columns) = 1 THEN format('(%s)::text', order_sql)
                    ELSE format('(jsonb_build_array(%s)::text)', order_sql) END;
    -- The row's text form, x::text, spelled as ROW(columns)::text (the same text): PostgreSQL 15
    -- evaluates a whole-row reference in a DELETE's RETURNING far more slowly.
    SELECT format('sha256(convert_to(ROW(%s)::text, %L))', string_agg(format('x.%I', a.attname), ', ' ORDER BY a.attnum), 'UTF8')
      INTO digest_sql
      FROM pg_attribute a WHERE a.attrelid = to_regclass(dc.table_name) AND a.attnum > 0 AND NOT a.attisdropped;
    restype_sql := CASE WHEN dc.resource_type IS NULL THEN 'NULL::text' ELSE quote_literal(dc.resource_type) END;
  END IF;
  created_sql := CASE WHEN dc.created_column IS NULL THEN 'NULL::timestamptz' ELSE format(col_expr, dc.created_column) END;
  closed_sql := CASE WHEN dc.closed_column IS NULL THEN 'NULL::timestamptz' ELSE format(col_expr, dc.closed_column) END;
  last_sql := CASE WHEN dc.last_activity_column IS NULL THEN 'NULL::timestamptz' ELSE format(col_expr, dc.last_activity_column) END;
  subject_sql := CASE WHEN dc.subject_column IS NULL THEN 'NULL::text' ELSE format(col_expr, dc.subject_column) || '::text' END;
  case_sql := CASE WHEN dc.case_column IS NULL THEN 'NULL::text' ELSE format(col_expr, dc.case_column) || '::text' END;
  resid_sql := CASE WHEN dc.resource_id_column IS NULL THEN 'NULL::text' ELSE format(col_expr, dc.resource_id_column) || '::text' END;
END $$;
--> statement-breakpoint
DROP FUNCTION retention_held_sql(text, text, text, text, text);
--> statement-breakpoint
-- "Is this row under an active legal hold?": uncorrelated IN-subqueries over the active holds,
-- evaluated once per statement as hashed subplans; NULL scope values never match. p_scopes: only
-- these hold scopes are checked (NULL: all four; the purge's claim leaves out scopes without an
-- active hold, and re-checks with all four once a hold appears).
CREATE OR REPLACE FUNCTION retention_held_sql(p_class text, p_subject text, p_case text, p_restype text, p_resid text,
  p_scopes text[] DEFAULT NULL)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '(' || coalesce(nullif(concat_ws(' OR ',
    CASE WHEN p_scopes IS NULL OR 'data_class' = ANY (p_scopes) THEN
      format($h$EXISTS (SELECT 1 FROM legal_holds_active h WHERE h.scope = 'data_class' AND h.scope_value = %L)$h$, p_class) END,
    CASE WHEN p_scopes IS NULL OR 'subject' = ANY (p_scopes) THEN
      format($h$coalesce(%s IN (SELECT h.scope_value FROM legal_holds_active h WHERE h.scope = 'subject'), false)$h$, p_subject) END,
    CASE WHEN p_scopes IS NULL OR 'case' = ANY (p_scopes) THEN
      format($h$coalesce(%s IN (SELECT h.scope_value FROM legal_holds_active h WHERE h.scope = 'case'), false)$h$, p_case) END,
    CASE WHEN p_scopes IS NULL OR 'resource' = ANY (p_scopes) THEN
      format($h$coalesce((%s, %s) IN (SELECT h.scope_type, h.scope_value FROM legal_holds_active h WHERE h.scope = 'resource'), false)$h$,
             p_restype, p_resid) END), ''), 'false') || ')'
$$;
--> statement-breakpoint
-- The purge. One call = one batch in the caller's transaction: claim the next expired, not-held
-- rows in key order (primary key walk from the cursor), then take SHARE on legal_holds (waits for
-- hold placements in flight, blocks new ones until commit) and re-check the claimed rows with a
-- fresh snapshot, so a hold committed by another connection after the claim is honoured; delete
-- by row version and record exactly what was deleted (count, ranges, digest). The as-of time may
-- not lie in the future. The SET options pin the plan shape (constant cost per batch; key
-- columns of a data class must be its primary key). jit = off: the disabled plan types inflate
-- estimated costs past the JIT thresholds, so on a server with JIT (PostgreSQL <= 17 builds with
-- LLVM) every batch would pay a ~0.1-0.7 s compile, even when it deletes nothing. No parallel
-- workers: a 5,000-row index walk finishes before they start. No memoize: each event is looked
-- up once (unique keys), so a cache in front of the look-up only adds its cost.
CREATE OR REPLACE FUNCTION retention_purge_batch(p_run_id text, p_class text, p_as_of timestamptz, p_limit integer,
  p_cursor jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = public, pg_temp
  SET enable_hashjoin = off
  SET enable_mergejoin = off
  SET enable_sort = off
  SET enable_seqscan = off
  SET jit = off
  SET max_parallel_workers_per_gather = 0
  SET enable_memoize = off
AS $$
DECLARE
  s record;
  x record;
  a record;
  v_held text;
  v_held_claim text;
  v_scopes text[];
  v_tids tid[];
  v_held_tids tid[];
  v_del tid[];
  v_cursor jsonb;
  v_claimed int;
  v_late int := 0;
  v_batch int;
  v_holds_before bigint;
  v_holds_after bigint;
  v_recorded int;
  v_from text;
BEGIN
  IF p_run_id IS NULL OR length(p_run_id) NOT BETWEEN 1 AND 300 THEN
    RAISE EXCEPTION 'retention purge: run id must be 1-300 characters' USING ERRCODE = '22023';
  END IF;
  IF p_as_of IS NULL OR p_as_of > clock_timestamp() THEN
    RAISE EXCEPTION 'retention purge: as-of % lies in the future; nothing is purged early', p_as_of USING ERRCODE = '22023';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 50000 THEN
    RAISE EXCEPTION 'retention purge: batch size must be 1..50000' USING ERRCODE = '22023';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'retention purge must run at READ COMMITTED (the hold re-check needs a fresh snapshot)' USING ERRCODE = '25000';
  END IF;
  SELECT * INTO s FROM retention_source(p_class);
  SELECT * INTO x FROM retention_expiry(p_class, s.created_sql, s.closed_sql, s.last_sql);
  IF x.expiry_sql IS NULL THEN
    RETURN jsonb_build_object('purged', 0, 'held_late', 0, 'claimed', 0, 'done', true, 'cursor', p_cursor, 'policy_versions', '');
  END IF;
  v_held := retention_held_sql(p_class, s.subject_sql, s.case_sql, s.restype_sql, s.resid_sql);
  -- The claim checks only the scopes that have an active hold now; a hold placed after this
  -- read changes the count of holds, and the re-check under the lock (step 2) uses all four.
  SELECT count(*), array_agg(DISTINCT h.scope) FILTER (WHERE NOT EXISTS (SELECT 1 FROM legal_hold_releases r WHERE r.hold_id = h.hold_id))
    INTO v_holds_before, v_scopes FROM legal_holds h;
  v_held_claim := retention_held_sql(p_class, s.subject_sql, s.case_sql, s.restype_sql, s.resid_sql, coalesce(v_scopes, '{}'));
  -- The claim walks the payloads from the cursor and looks each event up by key: the lateral
  -- OFFSET 0 pins that join order. Left to the planner, PostgreSQL 15 walked the events from the
  -- stream's start (every batch re-read all earlier batches: each batch slower than the last), or
  -- with the cursor on both sides re-scanned the events' range once per payload.
  v_from := CASE WHEN s.is_ledger
    THEN 'ledger_payloads x CROSS JOIN LATERAL (SELECT * FROM ledger_events e WHERE e.stream = x.stream AND e.seq = x.seq OFFSET 0) e'
    ELSE s.from_sql END;
  -- Holds are append-only (v_holds_before, above): an unchanged count after the lock means no hold
  -- appeared since the claim.

  -- 1. Claim: the next expired, not-held rows in key order (primary key walk from the cursor). For
  --    ledger payloads the claim also builds the batch record (keys, times, digest over the
  --    events' payload digests), used when every claimed row is purged by this batch (step 3).
  EXECUTE format(
    'SELECT array_agg(c.tid ORDER BY %s) AS tids, count(*)::int AS n, min(c.ts) AS min_ts, max(c.ts) AS max_ts,
            array_agg(c.k ORDER BY %1$s) AS keys,
            sha256(convert_to(string_agg(c.k || '' '' || encode(c.d, ''hex'') || E''\n'', '''' ORDER BY %1$s), ''UTF8'')) AS digest
       FROM (SELECT x.ctid AS tid, %s, %s AS k, %s AS d, %s AS ts FROM %s WHERE %s AND %s AND NOT %s ORDER BY %s LIMIT $3) c',
    s.outer_order, s.order_cols,
    CASE WHEN s.is_ledger THEN s.key_sql ELSE 'NULL::text' END, CASE WHEN s.is_ledger THEN s.digest_sql ELSE 'NULL::bytea' END,
    CASE WHEN s.is_ledger THEN s.created_sql ELSE 'NULL::timestamptz' END,
    v_from, CASE WHEN p_cursor IS NULL THEN 'true' ELSE s.cursor_cond END, x.expiry_sql, v_held_claim, s.order_sql)
  INTO a USING p_as_of, p_cursor, p_limit;
  v_claimed := a.n;
  IF v_claimed = 0 THEN
    RETURN jsonb_build_object('purged', 0, 'held_late', 0, 'claimed', 0, 'done', true, 'cursor', p_cursor,
                              'policy_versions', x.policy_versions);
  END IF;
  v_tids := a.tids;
  v_del := a.tids;
  EXECUTE format('SELECT %s FROM %s WHERE x.ctid = $1', s.cursor_sql, s.from_sql) INTO v_cursor USING v_tids[v_claimed];

  -- 2. Holds: SHARE lock (waits for hold placements in flight, blocks new ones until commit),
  --    then re-check the claimed rows with a fresh snapshot if any hold appeared meanwhile.
  LOCK TABLE legal_holds IN SHARE MODE;
  SELECT count(*) INTO v_holds_after FROM legal_holds;
  IF v_holds_after <> v_holds_before THEN
    EXECUTE format('SELECT array_agg(x.ctid) FROM %s WHERE x.ctid = ANY ($1) AND %s', s.from_sql, v_held)
    INTO v_held_tids USING v_tids;
    v_late := coalesce(cardinality(v_held_tids), 0);
    IF v_late > 0 THEN
      SELECT coalesce(array_agg(t), '{}') INTO v_del FROM unnest(v_tids) t WHERE NOT (t = ANY (v_held_tids));
    END IF;
  END IF;

  -- 3. Delete by row version and record exactly what was deleted (RETURNING): a row updated or
  --    purged concurrently since the claim has a new version (or none) and is skipped, so the
  --    count, ranges and digest always describe this batch's own deletions.
  IF s.is_ledger THEN
    -- One statement deletes and records: one purge record per run of consecutive seqs this
    -- statement deleted (RETURNING: never a row a concurrent run deleted, never a kept row),
    -- and the payload guard checks the deleted rows against those records at its end. When
    -- every claimed row was deleted (the usual case) the claim's batch record stands; otherwise
    -- it is rebuilt from this statement's records (purged_at = now() is the transaction start).
    WITH d AS (DELETE FROM ledger_payloads p WHERE p.ctid = ANY (v_del) RETURNING p.stream, p.seq),
         g AS (SELECT d.stream, d.seq, d.seq - row_number() OVER (PARTITION BY d.stream ORDER BY d.seq) AS island FROM d),
         r AS (INSERT INTO ledger_payload_purges (stream, seq, seq_to, purge_run_id, reason)
               SELECT g.stream, min(g.seq), max(g.seq), p_run_id, 'retention ' || x.policy_versions FROM g GROUP BY g.stream, g.island
               RETURNING 1)
    SELECT (SELECT count(*) FROM d)::int INTO v_recorded;
    IF v_recorded <> v_claimed THEN
      SELECT count(*)::int AS n, min(e.occurred_at) AS min_ts, max(e.occurred_at) AS max_ts,
             array_agg(r.stream || ':' || q.seq ORDER BY r.stream, q.seq) AS keys,
             sha256(convert_to(string_agg(r.stream || ':' || q.seq || ' ' || encode(e.payload_digest, 'hex') || E'\n', ''
                                          ORDER BY r.stream, q.seq), 'UTF8')) AS digest
        INTO a
        FROM ledger_payload_purges r CROSS JOIN LATERAL generate_series(r.seq, r.seq_to) AS q(seq)
        JOIN ledger_events e ON e.stream = r.stream AND e.seq = q.seq
       WHERE r.purge_run_id = p_run_id AND r.purged_at = now();
    END IF;
  ELSE
    -- One ordered aggregate (the digest); the first and last keys are top-1 reads of the deleted rows.
    EXECUTE format(
      $f$WITH d AS (DELETE FROM %I x WHERE x.ctid = ANY ($1) RETURNING %s AS k, %s AS d, %s AS ts, %s)
         SELECT count(*)::int AS n, min(d.ts) AS min_ts, max(d.ts) AS max_ts,
                ARRAY[(SELECT f.k FROM d f ORDER BY %s LIMIT 1), (SELECT l.k FROM d l ORDER BY %s LIMIT 1)] AS keys,
                sha256(convert_to(string_agg(d.k || ' ' || encode(d.d, 'hex') || E'\n', '' ORDER BY %s), 'UTF8')) AS digest
           FROM d$f$,
      s.tbl, s.key_sql, s.digest_sql, s.created_sql, s.order_cols, replace(s.outer_order, 'c.', 'f.'),
      replace(s.outer_order_desc, 'c.', 'l.'), replace(s.outer_order, 'c.', 'd.'))
    INTO a USING v_del;
  END IF;

  -- 4. Record the batch.
  IF a.n > 0 OR v_late > 0 THEN
    SELECT coalesce(max(b.batch_no), 0) + 1 INTO v_batch FROM retention_purge_batches b
     WHERE b.purge_run_id = p_run_id AND b.data_class = p_class;
    INSERT INTO retention_purge_batches (purge_run_id, data_class, batch_no, purged, held_skipped, first_key, last_key,
      min_ts, max_ts, digest, as_of, policy_versions)
    VALUES (p_run_id, p_class, v_batch, a.n, v_late, a.keys[1], a.keys[cardinality(a.keys)], a.min_ts, a.max_ts,
            CASE WHEN a.n > 0 THEN a.digest END, p_as_of, x.policy_versions);
  END IF;
  RETURN jsonb_build_object('purged', a.n, 'held_late', v_late, 'claimed', v_claimed, 'done', v_claimed < p_limit,
                            'cursor', v_cursor, 'batch_no', v_batch, 'policy_versions', x.policy_versions);
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION retention_held_sql(text, text, text, text, text, text[]) FROM PUBLIC;
