-- Principals are records: never deleted, and frozen once deactivated (migration 0019).
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
