-- Custom migration: API keys are created by the writer role (CLI) and read by the API (reader).
-- Keys are revoked by setting revoked_at; they are never deleted, so who had access stays provable.
REVOKE ALL ON api_keys FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT, INSERT ON api_keys TO ledgerflow_writer;
--> statement-breakpoint
GRANT UPDATE (revoked_at) ON api_keys TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON api_keys TO ledgerflow_reader;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION api_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
     AND NEW.key_id = OLD.key_id AND NEW.key_hash = OLD.key_hash
     AND NEW.principal_id = OLD.principal_id AND NEW.role = OLD.role THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'api_keys rows can only be revoked, once' USING ERRCODE = 'insufficient_privilege';
END $$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER api_keys_guard BEFORE UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION api_keys_guard();
