-- A payload may disappear only through a recorded purge. Checked once per statement over the
-- deleted rows (transition table, one anti-join) instead of one lookup per row: purges of many
-- payloads no longer pay a trigger call and an index probe each. UPDATE stays rejected per row.
CREATE OR REPLACE FUNCTION ledger_payload_delete_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT g.stream, g.seq INTO bad FROM ledger_payload_gone g
   WHERE NOT EXISTS (SELECT 1 FROM ledger_payload_purges p WHERE p.stream = g.stream AND p.seq = g.seq)
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger_payloads is append-only: DELETE of %/% is allowed only through a recorded purge', bad.stream, bad.seq
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_payloads_guard BEFORE UPDATE ON ledger_payloads
  FOR EACH ROW EXECUTE FUNCTION ledger_payload_guard();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_payloads_delete_guard AFTER DELETE ON ledger_payloads
  REFERENCING OLD TABLE AS ledger_payload_gone
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_payload_delete_guard();
