-- Custom migration: privileges and append-only guards for the checkpoint tables (drizzle-kit
-- generates neither). Idempotent, like 0001; reuses 0001's trigger functions.

REVOKE ALL ON ledger_checkpoints, ledger_merkle_tiles, ledger_signing_keys FROM PUBLIC;
--> statement-breakpoint
-- The writer (the append path, which makes checkpoints) may read and insert; nobody may change or delete.
GRANT SELECT, INSERT ON ledger_checkpoints, ledger_merkle_tiles, ledger_signing_keys TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON ledger_checkpoints, ledger_merkle_tiles, ledger_signing_keys TO ledgerflow_reader, ledgerflow_purger;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_merkle_tiles_append_only BEFORE UPDATE OR DELETE ON ledger_merkle_tiles
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_merkle_tiles_no_truncate BEFORE TRUNCATE ON ledger_merkle_tiles
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_signing_keys_append_only BEFORE UPDATE OR DELETE ON ledger_signing_keys
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_signing_keys_no_truncate BEFORE TRUNCATE ON ledger_signing_keys
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint

-- The DDL guards of 0001 (event triggers) now cover the checkpoint tables too. The drop guard
-- uses \y (word boundary): in PostgreSQL regular expressions \b is a backspace, so 0001's
-- pattern never matched and DROP TABLE was not actually blocked.
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
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_guard_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE obj record;
BEGIN
  FOR obj IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    IF obj.object_type IN ('table', 'trigger') AND obj.object_identity ~ '(^|\.| on )(public\.)?ledger_(events|payloads|payload_purges|checkpoints|merkle_tiles|signing_keys)\y' THEN
      RAISE EXCEPTION 'ledger objects may not be dropped (%)', obj.object_identity USING ERRCODE = 'insufficient_privilege';
    END IF;
  END LOOP;
END $$;
