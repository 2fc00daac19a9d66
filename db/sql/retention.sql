-- Current definitions of the retention functions: policy and hold guards, the per-class SQL
-- builders, the purge batch and its dry run (see README.md). The triggers, grants and the
-- registered data classes live in the migrations (0009, 0012-0014, 0017).

-- Policy versions: consecutive, known data classes, and a locked policy may only be extended
-- (like S3 Object Lock compliance mode): never shortened, unlocked, retired or narrowed.
CREATE OR REPLACE FUNCTION retention_policy_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev retention_policies;
  unknown text;
BEGIN
  PERFORM pg_advisory_xact_lock(1818580810, hashtext(NEW.policy_id));
  SELECT * INTO prev FROM retention_policies WHERE policy_id = NEW.policy_id ORDER BY version DESC LIMIT 1;
  IF NEW.version <> coalesce(prev.version, 0) + 1 THEN
    RAISE EXCEPTION 'retention policy %: next version is %, got %', NEW.policy_id, coalesce(prev.version, 0) + 1, NEW.version
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT string_agg(c, ', ') INTO unknown FROM unnest(NEW.data_classes) c
   WHERE NOT EXISTS (SELECT 1 FROM retention_data_classes d WHERE d.data_class = c);
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'retention policy %: unknown data class %', NEW.policy_id, unknown USING ERRCODE = 'check_violation';
  END IF;
  IF prev.locked THEN
    IF NEW.retired THEN
      RAISE EXCEPTION 'retention policy % is locked: it cannot be removed', NEW.policy_id USING ERRCODE = 'check_violation';
    ELSIF NOT NEW.locked THEN
      RAISE EXCEPTION 'retention policy % is locked: it cannot be unlocked', NEW.policy_id USING ERRCODE = 'check_violation';
    ELSIF NEW.period_seconds < prev.period_seconds THEN
      RAISE EXCEPTION 'retention policy % is locked: its period can only be extended (% s -> % s refused)',
        NEW.policy_id, prev.period_seconds, NEW.period_seconds USING ERRCODE = 'check_violation';
    ELSIF NOT (NEW.data_classes @> prev.data_classes) OR NEW.trigger <> prev.trigger OR NEW.action <> prev.action THEN
      RAISE EXCEPTION 'retention policy % is locked: its data classes, trigger and action cannot change', NEW.policy_id
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;

-- Four-eyes: a hold is released by someone other than who placed it; unknown holds refused.
CREATE OR REPLACE FUNCTION legal_hold_release_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v_placed text;
BEGIN
  SELECT placed_by INTO v_placed FROM legal_holds WHERE hold_id = NEW.hold_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'unknown legal hold %', NEW.hold_id USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF v_placed = NEW.released_by THEN
    RAISE EXCEPTION 'legal hold %: % placed it and may not release it (four-eyes: another principal must)', NEW.hold_id, v_placed
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

-- SQL fragments of one data class over alias x (ledger payloads join their event as e). The
-- content digest of a deleted business row (digest version 2) is SHA-256 over the row's binary
-- record form, record_send(ROW(columns in table order)); version 1 hashed the row's text form
-- (ROW(columns)::text), which costs about twice as much (every column's output function) and
-- is still how batches recorded with digest_version 1 verify (docs/retention.md).
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
    -- ROW(columns), not the whole-row reference x: PostgreSQL 15 evaluates a whole-row reference
    -- in a DELETE's RETURNING far more slowly.
    SELECT format('sha256(record_send(ROW(%s)))', string_agg(format('x.%I', a.attname), ', ' ORDER BY a.attnum))
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

-- Expiry under the latest version of every policy covering the class: an item expires only
-- once every covering policy has expired it (the longest retention wins).
CREATE OR REPLACE FUNCTION retention_expiry(p_class text, p_created text, p_closed text, p_last text,
  OUT expiry_sql text, OUT policy_versions text)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  SELECT string_agg(format('(%1$s IS NOT NULL AND %1$s <= $1 - make_interval(secs => %2$s))',
                           CASE p.trigger WHEN 'created' THEN p_created WHEN 'closed' THEN p_closed ELSE p_last END,
                           p.period_seconds), ' AND ' ORDER BY p.policy_id),
         string_agg(format('%s@v%s', p.policy_id, p.version), ',' ORDER BY p.policy_id)
    FROM (SELECT DISTINCT ON (policy_id) * FROM retention_policies ORDER BY policy_id, version DESC) p
   WHERE p_class = ANY (p.data_classes) AND NOT p.retired
$$;

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

-- Which holds match a row (for the preview's list of blocking holds).
CREATE OR REPLACE FUNCTION retention_hold_match_sql(p_class text, p_subject text, p_case text, p_restype text, p_resid text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($h$((h.scope = 'data_class' AND h.scope_value = %1$L) OR (h.scope = 'subject' AND h.scope_value = %2$s)
    OR (h.scope = 'case' AND h.scope_value = %3$s) OR (h.scope = 'resource' AND h.scope_type = %4$s AND h.scope_value = %5$s))$h$,
    p_class, p_subject, p_case, p_restype, p_resid)
$$;

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
-- up once (unique keys), so a cache in front of the look-up only adds its cost. No incremental
-- sort: PostgreSQL 15 grouped a batch's purge records by sorting its 5,000 deleted rows a second
-- time (by run) instead of hashing them.
--
-- Ledger payloads are claimed within a window: the next p_limit + 1/8 payloads after the cursor.
-- A batch claims the first p_limit of them that are expired and not held and ends at the last
-- claimed one; when the window holds fewer, it claims those and ends at the window's end.
-- Where the window lies in one stream and its payloads are dense there (at least every other
-- event has one), the claim reads the window's events as one key range beside the payloads (a
-- merge join: one index walk each, no look-up per row); elsewhere it looks each event up by key.
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

-- What a purge would do (dry run) and which holds block deletions.
CREATE OR REPLACE FUNCTION retention_preview(p_class text, p_as_of timestamptz)
RETURNS jsonb LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s record;
  x record;
  v_held text;
  v_match text;
  v_expired bigint;
  v_held_n bigint;
  v_min timestamptz;
  v_max timestamptz;
  v_holds jsonb;
BEGIN
  IF p_as_of IS NULL OR p_as_of > clock_timestamp() THEN
    RAISE EXCEPTION 'retention preview: as-of % lies in the future', p_as_of USING ERRCODE = '22023';
  END IF;
  SELECT * INTO s FROM retention_source(p_class);
  SELECT * INTO x FROM retention_expiry(p_class, s.created_sql, s.closed_sql, s.last_sql);
  IF x.expiry_sql IS NULL THEN
    RETURN jsonb_build_object('data_class', p_class, 'expired', 0, 'purgeable', 0, 'held', 0, 'holds', '[]'::jsonb,
                              'policy_versions', '');
  END IF;
  v_held := retention_held_sql(p_class, s.subject_sql, s.case_sql, s.restype_sql, s.resid_sql);
  v_match := retention_hold_match_sql(p_class, s.subject_sql, s.case_sql, s.restype_sql, s.resid_sql);
  EXECUTE format('SELECT count(*), count(*) FILTER (WHERE c.held), min(c.ts) FILTER (WHERE NOT c.held),
                         max(c.ts) FILTER (WHERE NOT c.held)
                    FROM (SELECT %s AS held, %s AS ts FROM %s WHERE %s) c',
                 v_held, s.created_sql, s.from_sql, x.expiry_sql)
  INTO v_expired, v_held_n, v_min, v_max USING p_as_of, NULL::jsonb;
  IF v_held_n > 0 THEN
    EXECUTE format('SELECT coalesce(jsonb_agg(jsonb_build_object(''hold_id'', q.hold_id, ''case_id'', q.case_id,
                           ''scope'', q.scope, ''blocked'', q.n) ORDER BY q.hold_id), ''[]'')
                      FROM (SELECT h.hold_id, h.case_id, h.scope, count(*) AS n
                              FROM %s JOIN legal_holds_active h ON %s WHERE %s GROUP BY 1, 2, 3) q',
                   s.from_sql, v_match, x.expiry_sql)
    INTO v_holds USING p_as_of, NULL::jsonb;
  END IF;
  RETURN jsonb_build_object('data_class', p_class, 'expired', v_expired, 'purgeable', v_expired - v_held_n,
                            'held', v_held_n, 'holds', coalesce(v_holds, '[]'::jsonb), 'policy_versions', x.policy_versions,
                            'min_ts', v_min, 'max_ts', v_max);
END $$;
