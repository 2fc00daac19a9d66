-- Custom migration: principals are records. The writer may change roles and deactivate (each change
-- is also a ledger event written by services/principals); nobody may delete a principal or
-- reactivate one, so a deactivated identity can never act again under the same id.
GRANT UPDATE (roles, deactivated_at, deactivated_by) ON principals TO ledgerflow_writer;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION principals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'principals cannot be deleted; deactivate them' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.deactivated_at IS NOT NULL THEN
    RAISE EXCEPTION 'principal % is deactivated and cannot change', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER principals_guard BEFORE UPDATE OR DELETE ON principals
  FOR EACH ROW EXECUTE FUNCTION principals_guard();
