-- Custom migration (drizzle-kit does not generate roles, triggers or event triggers).
-- Idempotent: safe to re-run on a database or cluster that already has any of it.

-- 1. Application roles. Roles are cluster-wide; the app connects as these, never as the owner.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['ledgerflow_writer', 'ledgerflow_reader', 'ledgerflow_purger'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', r);
      EXCEPTION
        WHEN insufficient_privilege THEN
          RAISE EXCEPTION 'ledgerflow needs the login role "%", and the migrating user may not create roles', r
            USING HINT = format('Ask a DBA to run: CREATE ROLE %I LOGIN PASSWORD ''...''; then set LEDGERFLOW_APP_PASSWORD (or LEDGERFLOW_*_URL) and re-run "ledgerflow db migrate".', r);
        WHEN duplicate_object OR unique_violation THEN
          NULL; -- created concurrently by another migration run
      END;
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint

-- 2. Privileges: the writer may only read and insert, the reader only read; the purger gets
--    EXECUTE on the purge function (added with retention), nothing else.
REVOKE ALL ON ledger_events, ledger_payloads, ledger_payload_purges FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT, INSERT ON ledger_events, ledger_payloads TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON ledger_events, ledger_payloads, ledger_payload_purges TO ledgerflow_writer, ledgerflow_reader, ledgerflow_purger;
--> statement-breakpoint

-- 3. Append-only triggers. Row triggers do not fire on TRUNCATE, hence the statement triggers.
CREATE OR REPLACE FUNCTION ledger_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
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
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_events_append_only BEFORE UPDATE OR DELETE ON ledger_events
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_events_no_truncate BEFORE TRUNCATE ON ledger_events
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_purges_append_only BEFORE UPDATE OR DELETE ON ledger_payload_purges
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_purges_no_truncate BEFORE TRUNCATE ON ledger_payload_purges
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_payloads_guard BEFORE UPDATE OR DELETE ON ledger_payloads
  FOR EACH ROW EXECUTE FUNCTION ledger_payload_guard();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_payloads_no_truncate BEFORE TRUNCATE ON ledger_payloads
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint

-- 4. Event triggers stop the table owner from disabling or dropping the guards. They need a
--    superuser to create; without one they are skipped with a NOTICE (grants and row triggers
--    still hold, and the hash chain catches the rest).
CREATE OR REPLACE FUNCTION ledger_guard_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  SELECT string_agg(t.tgname, ', ') INTO bad
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relname IN ('ledger_events', 'ledger_payloads', 'ledger_payload_purges')
    AND t.tgname LIKE 'ledger\_%' AND t.tgenabled = 'D';
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'ledger guard triggers may not be disabled (%)', bad USING ERRCODE = 'insufficient_privilege';
  END IF;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_guard_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE obj record;
BEGIN
  FOR obj IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF obj.object_type IN ('table', 'trigger') AND obj.object_identity ~ '(^|\.| on )(public\.)?ledger_(events|payloads|payload_purges)\b' THEN
      RAISE EXCEPTION 'ledger objects may not be dropped (%)', obj.object_identity USING ERRCODE = 'insufficient_privilege';
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'ledger_guard_ddl') THEN
    CREATE EVENT TRIGGER ledger_guard_ddl ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION ledger_guard_ddl();
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'ledger_guard_drop') THEN
    CREATE EVENT TRIGGER ledger_guard_drop ON sql_drop EXECUTE FUNCTION ledger_guard_drop();
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'ledgerflow: not a superuser, event triggers guarding the ledger tables were skipped';
END $$;
--> statement-breakpoint

-- 5. Append helper: serialises appenders of one stream and returns the chain head, the
--    database clock and any events already appended under the given idempotency keys.
CREATE OR REPLACE FUNCTION ledger_lock_head(p_stream text, p_keys text[])
RETURNS TABLE (head_seq bigint, head_hash bytea, now_us bigint, existing jsonb)
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(1818580806, hashtext(p_stream));
  RETURN QUERY
  SELECT h.seq, h.hash,
         (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
         (SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'idempotency_key', e.idempotency_key, 'seq', e.seq, 'event_id', e.event_id,
                   'hash', encode(e.hash, 'hex'),
                   'occurred_us', ((extract(epoch FROM e.occurred_at) * 1000000)::bigint)::text)), '[]'::jsonb)
            FROM ledger_events e WHERE e.stream = p_stream AND e.idempotency_key = ANY (p_keys))
  FROM (SELECT NULL::int AS one) dummy
  LEFT JOIN LATERAL (
    SELECT e.seq, e.hash FROM ledger_events e WHERE e.stream = p_stream ORDER BY e.seq DESC LIMIT 1
  ) h ON true;
END $$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION ledger_lock_head(text, text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION ledger_lock_head(text, text[]) TO ledgerflow_writer;
