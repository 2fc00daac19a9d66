-- Current definitions of the API key functions (see README.md). The trigger and grants using
-- them live in migration 0007.

-- API keys are never deleted and only revoked, once.
CREATE OR REPLACE FUNCTION api_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
     AND NEW.key_id = OLD.key_id AND NEW.key_hash = OLD.key_hash
     AND NEW.principal_id = OLD.principal_id AND NEW.role = OLD.role THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'api_keys rows can only be revoked, once' USING ERRCODE = 'insufficient_privilege';
END $$;
