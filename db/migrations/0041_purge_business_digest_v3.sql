-- Purge speed (issue 15): business classes with a one-column text or integer key digest their
-- batches as version 3, SHA-256 over the deleted rows' binary record forms concatenated in key
-- order (one SHA-256 per batch instead of one per row; batches recorded before keep versions 1
-- and 2 and verify as such). Other business classes keep version 2, ledger payloads version 2.
-- See db/sql/retention.sql, docs/retention.md "Purge digests".
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
  SET enable_incremental_sort = off
AS $$
DECLARE
  s record;
  x record;
  a record;
  w record;
  v_held text;
  v_held_claim text;
  v_scopes text[];
  v_tids tid[];
  v_held_tids tid[];
  v_del tid[];
  v_cursor jsonb;
  v_claimed int;
  v_done boolean;
  v_late int := 0;
  v_batch int;
  v_holds_before bigint;
  v_holds_after bigint;
  v_recorded int;
  v_first_key text;
  v_first_seq bigint;
  v_last_seq bigint;
  v_window int;
  v_key_type text;
  v_last_key text;
  v_from text;
  v_after text;
  v_setting text;
  v_simple_key boolean;
  v_stream text;
  v_seqs bigint[];
  v_subjects text[];
  v_cases text[];
  v_form_sql text;
  v_digest_version smallint := 2;
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
  -- The claim checks only the holds active now; a hold placed after this read changes the count
  -- of holds, and the re-check under the lock (step 2) uses all four scopes. Data-class and resource
  -- scopes: one probe each for a first active hold (OFFSET 0 keeps each probe a subplan that stops
  -- at its first row). Subject and case scopes (when the class has such a column): the active
  -- holds' values, read here as arrays in the same snapshot as the count, which the claim probes by
  -- hash (= ANY of a constant array: ~1.5 ms less per 5,000-row batch than a hashed subplan over
  -- the active holds built inside the claim).
  SELECT (SELECT count(*) FROM legal_holds),
         ARRAY(SELECT q.scope FROM unnest('{data_class,resource}'::text[]) q(scope)
                WHERE EXISTS (SELECT 1 FROM legal_holds_active h WHERE h.scope = q.scope OFFSET 0)),
         CASE WHEN s.subject_sql <> 'NULL::text' THEN ARRAY(SELECT h.scope_value FROM legal_holds_active h WHERE h.scope = 'subject') END,
         CASE WHEN s.case_sql <> 'NULL::text' THEN ARRAY(SELECT h.scope_value FROM legal_holds_active h WHERE h.scope = 'case') END
    INTO v_holds_before, v_scopes, v_subjects, v_cases;
  v_held_claim := '(' || concat_ws(' OR ', retention_held_sql(p_class, s.subject_sql, s.case_sql, s.restype_sql, s.resid_sql, v_scopes),
    CASE WHEN cardinality(v_subjects) > 0 THEN format('coalesce(%s = ANY ($7), false)', s.subject_sql) END,
    CASE WHEN cardinality(v_cases) > 0 THEN format('coalesce(%s = ANY ($8), false)', s.case_sql) END) || ')';
  -- Holds are append-only (v_holds_before, above): an unchanged count after the lock means no hold
  -- appeared since the claim.

  -- 1. Claim: the next expired, not-held rows in key order (primary key walk from the cursor).
  IF s.is_ledger THEN
    v_after := CASE WHEN p_cursor IS NULL THEN 'true' ELSE '(x.stream, x.seq) > (($2->>0)::text, ($2->>1)::bigint)' END;
    v_window := p_limit + p_limit / 8 + 16;
    -- The window: its payload count, streams, first seq (of a one-stream window) and end; whether
    -- it is dense (one stream, at least every other event with a payload); and, in the same
    -- statement, the join settings of the claim (merge join for a dense window, reset after it).
    EXECUTE format(
      'SELECT q.*, set_config(''enable_mergejoin'', CASE WHEN q.dense THEN ''on'' ELSE ''off'' END, true) AS mj,
              set_config(''enable_nestloop'', CASE WHEN q.dense THEN ''off'' ELSE ''on'' END, true) AS nl
         FROM (SELECT coalesce(sum(g.n), 0)::int AS n, count(*)::int AS streams, min(g.lo) AS lo,
                      (array_agg(g.stream ORDER BY g.stream DESC))[1] AS last_stream,
                      (array_agg(g.hi ORDER BY g.stream DESC))[1] AS last_seq,
                      count(*) = 1 AND max(g.hi) - min(g.lo) + 1 <= 2 * sum(g.n) AS dense
                 FROM (SELECT w.stream, min(w.seq) AS lo, max(w.seq) AS hi, count(*) AS n
                         FROM (SELECT x.stream, x.seq FROM ledger_payloads x WHERE %s ORDER BY x.stream, x.seq LIMIT $4) w
                        GROUP BY w.stream) g) q', v_after)
    INTO w USING p_as_of, p_cursor, p_limit, v_window;
    IF w.n = 0 THEN
      RETURN jsonb_build_object('purged', 0, 'held_late', 0, 'claimed', 0, 'done', true, 'cursor', p_cursor,
                                'policy_versions', x.policy_versions);
    END IF;
    IF w.dense THEN
      v_from := 'ledger_payloads x JOIN ledger_events e ON e.stream = x.stream AND e.seq = x.seq
                  WHERE x.stream = $4 AND x.seq BETWEEN $6 AND $5 AND e.stream = $4 AND e.seq BETWEEN $6 AND $5';
    ELSE
      -- The lateral OFFSET 0 pins the join order: payloads from the cursor, each event by key.
      v_from := format('ledger_payloads x CROSS JOIN LATERAL (SELECT * FROM ledger_events e WHERE e.stream = x.stream
                         AND e.seq = x.seq OFFSET 0) e WHERE %s AND (x.stream, x.seq) <= ($4, $5)', v_after);
    END IF;
    -- The batch record (times, first and last key, digest version 2: SHA-256 over the events'
    -- payload digests in key order) is built here and stands when every claimed row is purged by
    -- this batch (step 3). A dense window is one stream ($4): its rows come in seq order from the
    -- merge, so the digest's ORDER BY is the seq alone and PostgreSQL 16+ sorts nothing (ordering by
    -- the stream too made it sort), and its first and last stream are $4 (no text min/max).
    -- A dense window's claim also yields its claimed seqs in order; their runs of consecutive seqs
    -- (one group per seq - ordinality) are the purge records when the delete removes exactly the
    -- claimed rows (step 3), so that statement neither sorts nor groups the deleted rows.
    EXECUTE format(
      'SELECT array_agg(c.tid) AS tids, count(*)::int AS n, min(c.ts) AS min_ts, max(c.ts) AS max_ts,
              %s AS first_stream, %s AS last_stream, min(c.o2) AS first_seq, max(c.o2) AS last_seq,
              sha256(string_agg(c.d, ''''::bytea ORDER BY %s)) AS digest, %s
         FROM %s',
      CASE WHEN w.dense THEN '$4' ELSE 'min(c.o1)' END, CASE WHEN w.dense THEN '$4' ELSE 'max(c.o1)' END,
      CASE WHEN w.dense THEN 'c.o2' ELSE 'c.o1, c.o2' END,
      CASE WHEN w.dense THEN 'array_agg(c.o2 ORDER BY c.o2) AS seqs' ELSE 'NULL::bigint[] AS seqs' END,
      format('(SELECT x.ctid AS tid, x.stream AS o1, x.seq AS o2, e.payload_digest AS d, %s AS ts FROM %s AND %s AND NOT %s
                ORDER BY %s LIMIT $3) c',
             s.created_sql, v_from, x.expiry_sql, v_held_claim, CASE WHEN w.dense THEN 'x.seq' ELSE 'x.stream, x.seq' END))
    INTO a USING p_as_of, p_cursor, p_limit, w.last_stream, w.last_seq, w.lo, v_subjects, v_cases;
    v_seqs := a.seqs;
    v_stream := a.first_stream;
    v_claimed := a.n;
    -- A full batch ends at its last claimed row; a short one at the window's end (done when the
    -- window was short too: no payload after it).
    v_done := v_claimed < p_limit AND w.n < v_window;
    v_cursor := jsonb_build_array(w.last_stream, w.last_seq);
    IF v_claimed = 0 THEN
      RETURN jsonb_build_object('purged', 0, 'held_late', 0, 'claimed', 0, 'done', v_done, 'cursor', v_cursor,
                                'policy_versions', x.policy_versions);
    END IF;
    IF a.first_stream <> a.last_stream THEN
      SELECT min(p.seq) FILTER (WHERE p.stream = a.first_stream), max(p.seq) FILTER (WHERE p.stream = a.last_stream)
        INTO v_first_seq, v_last_seq FROM ledger_payloads p WHERE p.ctid = ANY (a.tids);
    ELSE
      v_first_seq := a.first_seq;
      v_last_seq := a.last_seq;
    END IF;
    v_first_key := a.first_stream || ':' || v_first_seq;
    v_last_key := a.last_stream || ':' || v_last_seq;
    IF v_claimed = p_limit THEN
      v_cursor := jsonb_build_array(a.last_stream, v_last_seq);
    END IF;
  ELSE
    -- A one-column text or integer key: min/max of the key follow ORDER BY (no sort), so the claim
    -- collects the row versions unordered and the cursor is max(key); otherwise the row versions
    -- in key order and the cursor read by the last one. With such a key the claim also builds the
    -- batch record (times, first and last key, the digest: its rows arrive in key order, so
    -- PostgreSQL 16+ sorts nothing), which stands when the delete removes every claimed row (step 3).
    SELECT format_type(att.atttypid, NULL) INTO v_key_type
      FROM retention_data_classes dc JOIN pg_attribute att ON att.attrelid = to_regclass(dc.table_name) AND att.attname = dc.key_columns[1]
     WHERE dc.data_class = p_class AND cardinality(dc.key_columns) = 1;
    v_simple_key := coalesce(v_key_type IN ('text', 'character varying', 'bigint', 'integer'), false);
    -- Digest version 3 for such a class: SHA-256 over the deleted rows' binary record forms
    -- concatenated in key order (one SHA-256 per batch instead of one per row; the batch's record
    -- forms are buffered, batch size x row width: these classes' rows are narrow). Other classes
    -- (keys of several columns or other types, e.g. workflow histories) keep version 2.
    IF v_simple_key THEN
      v_form_sql := substring(s.digest_sql FROM '^sha256\((record_send\(ROW\(.*\)\))\)$');
      IF v_form_sql IS NULL THEN
        RAISE EXCEPTION 'retention purge: unexpected row digest form for data class "%"', p_class USING ERRCODE = 'XX000';
      END IF;
      v_digest_version := 3;
    END IF;
    EXECUTE format(
      'SELECT %s AS tids, count(*)::int AS n, %s AS last_cursor, %s
         FROM (SELECT x.ctid AS tid, %s%s FROM %s WHERE %s AND %s AND NOT %s ORDER BY %s LIMIT $3) c',
      CASE WHEN v_simple_key THEN 'array_agg(c.tid)' ELSE format('array_agg(c.tid ORDER BY %s)', s.outer_order) END,
      CASE WHEN v_simple_key THEN 'jsonb_build_array(max(c.o1))' ELSE 'NULL::jsonb' END,
      CASE WHEN v_simple_key THEN 'min(c.ts) AS min_ts, max(c.ts) AS max_ts, ARRAY[min(c.o1)::text, max(c.o1)::text] AS keys,
                                   sha256(string_agg(c.dg, ''''::bytea ORDER BY c.o1)) AS digest'
           ELSE 'NULL::timestamptz AS min_ts, NULL::timestamptz AS max_ts, NULL::text[] AS keys, NULL::bytea AS digest' END,
      s.order_cols, CASE WHEN v_simple_key THEN format(', %s AS dg, %s AS ts', v_form_sql, s.created_sql) ELSE '' END,
      s.from_sql, CASE WHEN p_cursor IS NULL THEN 'true' ELSE s.cursor_cond END, x.expiry_sql, v_held_claim, s.order_sql)
    INTO a USING p_as_of, p_cursor, p_limit, NULL::text, NULL::bigint, NULL::bigint, v_subjects, v_cases;
    v_claimed := a.n;
    IF v_claimed = 0 THEN
      RETURN jsonb_build_object('purged', 0, 'held_late', 0, 'claimed', 0, 'done', true, 'cursor', p_cursor,
                                'policy_versions', x.policy_versions);
    END IF;
    IF v_simple_key THEN
      v_cursor := a.last_cursor;
    ELSE
      EXECUTE format('SELECT %s FROM %s WHERE x.ctid = $1', s.cursor_sql, s.from_sql) INTO v_cursor USING a.tids[v_claimed];
    END IF;
    v_done := v_claimed < p_limit;
  END IF;
  v_tids := a.tids;
  v_del := a.tids;

  -- 2. Holds: SHARE lock (waits for hold placements in flight, blocks new ones until commit),
  --    then re-check the claimed rows with a fresh snapshot if any hold appeared meanwhile.
  LOCK TABLE legal_holds IN SHARE MODE;
  -- (and the claim's join settings back to the function's: an early RETURN restores them anyway)
  SELECT count(*), set_config('enable_mergejoin', 'off', true), set_config('enable_nestloop', 'on', true)
    INTO v_holds_after, v_setting, v_setting FROM legal_holds;
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
    -- The claimed seqs' runs stand for the records only when this statement deleted every claimed
    -- row (a dense window, no late hold, none deleted or changed meanwhile: then the deleted rows
    -- are exactly the claimed ones); otherwise the runs come from RETURNING.
    WITH d AS (DELETE FROM ledger_payloads p WHERE p.ctid = ANY (v_del) RETURNING p.stream, p.seq),
         n AS (SELECT count(*)::int AS n FROM d),
         g AS (SELECT d.stream, d.seq, d.seq - row_number() OVER (PARTITION BY d.stream ORDER BY d.seq) AS island FROM d
                WHERE v_seqs IS NULL OR v_late > 0 OR (SELECT n.n FROM n) <> v_claimed),
         r AS (INSERT INTO ledger_payload_purges (stream, seq, seq_to, purge_run_id, reason)
               SELECT g.stream, min(g.seq), max(g.seq), p_run_id, 'retention ' || x.policy_versions FROM g GROUP BY g.stream, g.island
               UNION ALL
               SELECT v_stream, min(u.s), max(u.s), p_run_id, 'retention ' || x.policy_versions
                 FROM unnest(v_seqs) WITH ORDINALITY AS u(s, i)
                WHERE v_late = 0 AND (SELECT n.n FROM n) = v_claimed GROUP BY u.s - u.i
               RETURNING 1)
    SELECT (SELECT n.n FROM n) INTO v_recorded;
    IF v_recorded <> v_claimed THEN
      SELECT count(*)::int AS n, min(e.occurred_at) AS min_ts, max(e.occurred_at) AS max_ts,
             array_agg(r.stream || ':' || q.seq ORDER BY r.stream, q.seq) AS keys,
             sha256(string_agg(e.payload_digest, ''::bytea ORDER BY r.stream, q.seq)) AS digest
        INTO a
        FROM ledger_payload_purges r CROSS JOIN LATERAL generate_series(r.seq, r.seq_to) AS q(seq)
        JOIN ledger_events e ON e.stream = r.stream AND e.seq = q.seq
       WHERE r.purge_run_id = p_run_id AND r.purged_at = now();
      v_first_key := a.keys[1];
      v_last_key := a.keys[cardinality(a.keys)];
    END IF;
  ELSE
    -- The claim's batch record stands when the delete removes exactly the claimed rows (a one-column
    -- text or integer key, no late hold, no row changed since the claim: the usual case). Otherwise
    -- the block's subtransaction is rolled back (nothing deleted) and the delete below records
    -- from its RETURNING exactly the rows it deleted.
    IF v_simple_key AND v_late = 0 THEN
      BEGIN
        EXECUTE format('WITH d AS (DELETE FROM %I x WHERE x.ctid = ANY ($1) RETURNING 1) SELECT count(*)::int FROM d', s.tbl)
        INTO v_recorded USING v_del;
        IF v_recorded <> v_claimed THEN
          RAISE EXCEPTION 'claimed rows changed before the delete' USING ERRCODE = 'LF001';
        END IF;
        v_first_key := a.keys[1];
        v_last_key := a.keys[2];
      EXCEPTION WHEN SQLSTATE 'LF001' THEN
        v_recorded := NULL;
      END;
    END IF;
  END IF;
  IF NOT s.is_ledger AND v_recorded IS NULL THEN
    -- One ordered aggregate (the digest). The first and last keys: min/max of a one-column text or
    -- integer key (the same order as ORDER BY, no sort); otherwise top-1 reads of the deleted rows.
    -- Digest version 3 (one-column text or integer key): SHA-256 over the rows' record forms in key
    -- order; version 2 (other keys): over the rows' 32-byte content digests in key order (no text).
    EXECUTE format(
      $f$WITH d AS (DELETE FROM %I x WHERE x.ctid = ANY ($1) RETURNING %s AS k, %s AS d, %s AS ts, %s)
         SELECT count(*)::int AS n, min(d.ts) AS min_ts, max(d.ts) AS max_ts, %s AS keys,
                sha256(string_agg(d.d, ''::bytea ORDER BY %s)) AS digest
           FROM d$f$,
      s.tbl, s.key_sql, coalesce(v_form_sql, s.digest_sql), s.created_sql, s.order_cols,
      CASE WHEN v_simple_key THEN 'ARRAY[min(d.o1)::text, max(d.o1)::text]'
           ELSE format('ARRAY[(SELECT f.k FROM d f ORDER BY %s LIMIT 1), (SELECT l.k FROM d l ORDER BY %s LIMIT 1)]',
                       replace(s.outer_order, 'c.', 'f.'), replace(s.outer_order_desc, 'c.', 'l.')) END,
      replace(s.outer_order, 'c.', 'd.'))
    INTO a USING v_del;
    v_first_key := a.keys[1];
    v_last_key := a.keys[cardinality(a.keys)];
  END IF;

  -- 4. Record the batch (its number and the row in one statement) with the digest's version: 2,
  --    SHA-256 over the items' 32-byte content digests in key order (the events' payload digests
  --    since 0039; the business rows' binary record forms' SHA-256 since 0035), or 3 (business
  --    classes with a one-column text or integer key since 0040), SHA-256 over the rows' binary
  --    record forms concatenated in key order.
  IF a.n > 0 OR v_late > 0 THEN
    INSERT INTO retention_purge_batches (purge_run_id, data_class, batch_no, purged, held_skipped, first_key, last_key,
      min_ts, max_ts, digest, digest_version, as_of, policy_versions)
    SELECT p_run_id, p_class, coalesce(max(b.batch_no), 0) + 1, a.n, v_late, v_first_key, v_last_key, a.min_ts, a.max_ts,
           CASE WHEN a.n > 0 THEN a.digest END, v_digest_version, p_as_of, x.policy_versions
      FROM retention_purge_batches b WHERE b.purge_run_id = p_run_id AND b.data_class = p_class
    RETURNING batch_no INTO v_batch;
  END IF;
  RETURN jsonb_build_object('purged', a.n, 'held_late', v_late, 'claimed', v_claimed, 'done', v_done,
                            'cursor', v_cursor, 'batch_no', v_batch, 'policy_versions', x.policy_versions);
END $$;
