-- Custom migration: retention constraints, append-only guards, four-eyes hold releases, the
-- registered data classes and the SECURITY DEFINER purge functions. Idempotent.

-- 1. Constraints drizzle-kit does not generate.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'retention_policies_period_positive') THEN
    ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_period_positive CHECK (period_seconds > 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'retention_policies_legal_minimum') THEN
    ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_legal_minimum
      CHECK (legal_minimum_seconds >= 0 AND period_seconds >= legal_minimum_seconds);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'retention_policies_trigger_known') THEN
    ALTER TABLE retention_policies ADD CONSTRAINT retention_policies_trigger_known
      CHECK (trigger IN ('created', 'closed', 'last_activity') AND action IN ('purge_payload', 'delete')
             AND cardinality(data_classes) > 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'legal_holds_scope_known') THEN
    ALTER TABLE legal_holds ADD CONSTRAINT legal_holds_scope_known
      CHECK (scope IN ('subject', 'resource', 'case', 'data_class') AND (scope = 'resource') = (scope_type IS NOT NULL)
             AND length(scope_value) > 0 AND length(case_id) > 0 AND length(reason) > 0 AND length(placed_by) > 0);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'legal_hold_releases_nonempty') THEN
    ALTER TABLE legal_hold_releases ADD CONSTRAINT legal_hold_releases_nonempty
      CHECK (length(released_by) > 0 AND length(reason) > 0);
  END IF;
END $$;
--> statement-breakpoint

-- 2. Append-only: policies change by new versions, holds end by a release row.
CREATE OR REPLACE TRIGGER retention_policies_append_only BEFORE UPDATE OR DELETE ON retention_policies
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER retention_policies_no_truncate BEFORE TRUNCATE ON retention_policies
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER legal_holds_append_only BEFORE UPDATE OR DELETE ON legal_holds
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER legal_holds_no_truncate BEFORE TRUNCATE ON legal_holds
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER legal_hold_releases_append_only BEFORE UPDATE OR DELETE ON legal_hold_releases
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER legal_hold_releases_no_truncate BEFORE TRUNCATE ON legal_hold_releases
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER retention_purge_batches_append_only BEFORE UPDATE OR DELETE ON retention_purge_batches
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER retention_purge_batches_no_truncate BEFORE TRUNCATE ON retention_purge_batches
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint

-- 3. Policy versions: consecutive, known data classes, and a locked policy may only be extended
--    (like S3 Object Lock compliance mode): never shortened, unlocked, retired or narrowed.
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
--> statement-breakpoint
CREATE OR REPLACE TRIGGER retention_policies_guard BEFORE INSERT ON retention_policies
  FOR EACH ROW EXECUTE FUNCTION retention_policy_guard();
--> statement-breakpoint

-- 4. Four-eyes: a hold is released by someone other than who placed it; unknown holds refused.
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
--> statement-breakpoint
CREATE OR REPLACE TRIGGER legal_hold_releases_four_eyes BEFORE INSERT ON legal_hold_releases
  FOR EACH ROW EXECUTE FUNCTION legal_hold_release_guard();
--> statement-breakpoint
CREATE OR REPLACE VIEW legal_holds_active AS
  SELECT h.* FROM legal_holds h WHERE NOT EXISTS (SELECT 1 FROM legal_hold_releases r WHERE r.hold_id = h.hold_id);
--> statement-breakpoint

-- 5. Registered data classes (adapters). A new business class is one more row here.
INSERT INTO retention_data_classes (data_class, table_name, key_columns, created_column, closed_column, last_activity_column,
  subject_column, case_column, resource_type, resource_id_column, action, description) VALUES
  ('ledger_payloads', 'ledger_payloads', '{stream,seq}', 'occurred_at', NULL, NULL, 'subject_id', 'case_id', NULL, 'resource_id',
   'purge_payload', 'Ledger event payloads and their salts; the events (and the chain) stay'),
  ('loan_applications', 'loan_applications', '{id}', 'created_at', NULL, 'updated_at', NULL, 'id', 'application', 'id',
   'delete', 'Loan applications with the applicant''s personal data'),
  ('loan_enrichments', 'loan_enrichments', '{application_id,source}', 'fetched_at', NULL, 'fetched_at', NULL, 'application_id',
   'application', 'application_id', 'delete', 'Enrichment records (registry, bureau) per application'),
  ('workflow_histories', 'workflow_histories', '{workflow_id,run_id}', 'archived_at', 'closed_at', NULL, NULL, NULL,
   'workflow', 'workflow_id', 'delete', 'Archived closed workflow histories')
ON CONFLICT (data_class) DO UPDATE SET table_name = EXCLUDED.table_name, key_columns = EXCLUDED.key_columns,
  created_column = EXCLUDED.created_column, closed_column = EXCLUDED.closed_column,
  last_activity_column = EXCLUDED.last_activity_column, subject_column = EXCLUDED.subject_column,
  case_column = EXCLUDED.case_column, resource_type = EXCLUDED.resource_type,
  resource_id_column = EXCLUDED.resource_id_column, action = EXCLUDED.action, description = EXCLUDED.description;
--> statement-breakpoint

-- 6. SQL fragments of one data class over alias x (ledger payloads join their event as e).
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
  cursor_cond := format('($2 IS NULL OR (%s) > (%s))', array_to_string(conds_l, ', '), array_to_string(conds_r, ', '));
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
    digest_sql := $d$sha256(convert_to(row_to_json(x)::text, 'UTF8'))$d$;
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

-- 7. Expiry under the latest version of every policy covering the class: an item expires only
--    once every covering policy has expired it (the longest retention wins).
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
--> statement-breakpoint

-- 8. "Is this row under an active legal hold?" over the class's scope expressions.
CREATE OR REPLACE FUNCTION retention_held_sql(p_class text, p_subject text, p_case text, p_restype text, p_resid text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($h$(EXISTS (SELECT 1 FROM legal_holds_active h WHERE h.scope = 'data_class' AND h.scope_value = %1$L)
    OR EXISTS (SELECT 1 FROM legal_holds_active h WHERE h.scope = 'subject' AND h.scope_value = %2$s)
    OR EXISTS (SELECT 1 FROM legal_holds_active h WHERE h.scope = 'case' AND h.scope_value = %3$s)
    OR EXISTS (SELECT 1 FROM legal_holds_active h WHERE h.scope = 'resource' AND h.scope_type = %4$s AND h.scope_value = %5$s))$h$,
    p_class, p_subject, p_case, p_restype, p_resid)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION retention_hold_match_sql(p_class text, p_subject text, p_case text, p_restype text, p_resid text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT format($h$((h.scope = 'data_class' AND h.scope_value = %1$L) OR (h.scope = 'subject' AND h.scope_value = %2$s)
    OR (h.scope = 'case' AND h.scope_value = %3$s) OR (h.scope = 'resource' AND h.scope_type = %4$s AND h.scope_value = %5$s))$h$,
    p_class, p_subject, p_case, p_restype, p_resid)
$$;
--> statement-breakpoint

-- 9. The purge. One call = one batch in the caller's transaction:
--    claim the next expired, not-held rows in key order (FOR UPDATE SKIP LOCKED), then take
--    SHARE on legal_holds (waits for hold placements in flight, blocks new ones until commit)
--    and re-check holds under that lock with a fresh snapshot, so a hold committed by another
--    connection after the claim is honoured; record ledger payload purges, delete, and record
--    the batch (count, ranges, digest). The as-of time may not lie in the future.
CREATE OR REPLACE FUNCTION retention_purge_batch(p_run_id text, p_class text, p_as_of timestamptz, p_limit integer,
  p_cursor jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s record;
  x record;
  v_held text;
  v_tids tid[];
  v_keys text[];
  v_digests bytea[];
  v_ts timestamptz[];
  v_cursor jsonb;
  v_claimed int;
  v_held_tids tid[];
  v_del tid[];
  v_dkeys text[];
  v_ddig bytea[];
  v_dts timestamptz[];
  v_count int := 0;
  v_late int := 0;
  v_batch int;
  v_pause int;
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

  -- 1. Claim.
  EXECUTE format(
    'SELECT array_agg(c.tid ORDER BY %1$s), array_agg(c.k ORDER BY %1$s), array_agg(c.d ORDER BY %1$s),
            array_agg(c.ts ORDER BY %1$s), (array_agg(c.cur ORDER BY %2$s))[1], count(*)::int
       FROM (SELECT x.ctid AS tid, %3$s AS k, %4$s AS d, %5$s AS ts, %6$s AS cur, %7$s
               FROM %8$s WHERE %9$s AND %10$s AND NOT %11$s
              ORDER BY %12$s LIMIT $3 FOR UPDATE OF x SKIP LOCKED) c',
    s.outer_order, s.outer_order_desc, s.key_sql, s.digest_sql, s.created_sql, s.cursor_sql, s.order_cols,
    s.from_sql, s.cursor_cond, x.expiry_sql, v_held, s.order_sql)
  INTO v_tids, v_keys, v_digests, v_ts, v_cursor, v_claimed
  USING p_as_of, p_cursor, p_limit;
  IF v_claimed = 0 THEN
    RETURN jsonb_build_object('purged', 0, 'held_late', 0, 'claimed', 0, 'done', true, 'cursor', p_cursor,
                              'policy_versions', x.policy_versions);
  END IF;

  -- Test hook: widen the window between claim and hold re-check (race tests only).
  v_pause := coalesce(nullif(current_setting('ledgerflow.purge_pause_ms', true), ''), '0')::int;
  IF v_pause > 0 THEN PERFORM pg_sleep(least(v_pause, 30000) / 1000.0); END IF;

  -- 2. Holds: lock, then re-check the claimed rows with a fresh snapshot.
  LOCK TABLE legal_holds IN SHARE MODE;
  EXECUTE format('SELECT array_agg(x.ctid) FROM %s WHERE x.ctid = ANY ($1) AND %s', s.from_sql, v_held)
  INTO v_held_tids USING v_tids;
  SELECT array_agg(u.t ORDER BY u.i), array_agg(u.k ORDER BY u.i), array_agg(u.d ORDER BY u.i), array_agg(u.ts ORDER BY u.i)
    INTO v_del, v_dkeys, v_ddig, v_dts
    FROM unnest(v_tids, v_keys, v_digests, v_ts) WITH ORDINALITY AS u(t, k, d, ts, i)
   WHERE NOT (u.t = ANY (coalesce(v_held_tids, '{}')));
  v_late := coalesce(cardinality(v_held_tids), 0);

  -- 3. Delete (ledger: record the purge first; the payload guard allows only recorded purges).
  IF coalesce(cardinality(v_del), 0) > 0 THEN
    IF s.is_ledger THEN
      INSERT INTO ledger_payload_purges (stream, seq, purge_run_id, reason)
      SELECT p.stream, p.seq, p_run_id, 'retention ' || x.policy_versions FROM ledger_payloads p WHERE p.ctid = ANY (v_del);
      DELETE FROM ledger_payloads p WHERE p.ctid = ANY (v_del);
    ELSE
      EXECUTE format('DELETE FROM %I x WHERE x.ctid = ANY ($1)', s.tbl) USING v_del;
    END IF;
    GET DIAGNOSTICS v_count = ROW_COUNT;
  END IF;

  -- 4. Record the batch.
  IF v_count > 0 OR v_late > 0 THEN
    SELECT coalesce(max(b.batch_no), 0) + 1 INTO v_batch FROM retention_purge_batches b
     WHERE b.purge_run_id = p_run_id AND b.data_class = p_class;
    INSERT INTO retention_purge_batches (purge_run_id, data_class, batch_no, purged, held_skipped, first_key, last_key,
      min_ts, max_ts, digest, as_of, policy_versions)
    SELECT p_run_id, p_class, v_batch, v_count, v_late, v_dkeys[1], v_dkeys[cardinality(v_dkeys)],
           (SELECT min(t) FROM unnest(v_dts) t), (SELECT max(t) FROM unnest(v_dts) t),
           CASE WHEN v_count > 0 THEN sha256(convert_to(
             (SELECT string_agg(u.k || ' ' || encode(u.d, 'hex') || E'\n', '' ORDER BY u.i)
                FROM unnest(v_dkeys, v_ddig) WITH ORDINALITY AS u(k, d, i)), 'UTF8')) END,
           p_as_of, x.policy_versions;
  END IF;
  RETURN jsonb_build_object('purged', v_count, 'held_late', v_late, 'claimed', v_claimed, 'done', v_claimed < p_limit,
                            'cursor', v_cursor, 'batch_no', v_batch, 'policy_versions', x.policy_versions);
END $$;
--> statement-breakpoint

-- 10. What a purge would do (dry run) and which holds block deletions.
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
--> statement-breakpoint

-- 11. Privileges. The purger may only execute the purge functions; helpers are internal.
REVOKE ALL ON retention_data_classes, retention_policies, legal_holds, legal_hold_releases, retention_purge_batches,
  legal_holds_active FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT ON retention_data_classes, retention_policies, legal_holds, legal_hold_releases, retention_purge_batches,
  legal_holds_active TO ledgerflow_writer, ledgerflow_reader;
--> statement-breakpoint
GRANT INSERT ON retention_policies, legal_holds, legal_hold_releases TO ledgerflow_writer;
--> statement-breakpoint
REVOKE ALL ON FUNCTION retention_source(text), retention_expiry(text, text, text, text),
  retention_held_sql(text, text, text, text, text), retention_hold_match_sql(text, text, text, text, text),
  retention_purge_batch(text, text, timestamptz, integer, jsonb), retention_preview(text, timestamptz) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION retention_purge_batch(text, text, timestamptz, integer, jsonb) TO ledgerflow_purger;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION retention_preview(text, timestamptz) TO ledgerflow_purger, ledgerflow_writer, ledgerflow_reader;
--> statement-breakpoint
-- The worker connects as the writer; it may switch to the purger role explicitly (SET ROLE) for
-- a purge batch without inheriting the purger's privileges (PostgreSQL 16+ syntax; skipped before).
DO $$
BEGIN
  EXECUTE 'GRANT ledgerflow_purger TO ledgerflow_writer WITH INHERIT FALSE, SET TRUE';
EXCEPTION WHEN syntax_error OR feature_not_supported THEN
  RAISE NOTICE 'ledgerflow: PostgreSQL < 16, the worker needs LEDGERFLOW_PURGER_URL for retention purges';
END $$;
