-- Custom migration: the signed ledger head (one document over every stream's size and root,
-- chained by version). Append-only like the checkpoint tables; reuses 0001's trigger function.
CREATE TABLE IF NOT EXISTS ledger_heads (
  version bigint PRIMARY KEY,
  previous bytea NOT NULL,
  key_id text NOT NULL,
  signed_at timestamp (6) with time zone NOT NULL,
  head text NOT NULL
);
--> statement-breakpoint
REVOKE ALL ON ledger_heads FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT, INSERT ON ledger_heads TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON ledger_heads TO ledgerflow_reader, ledgerflow_purger;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_heads_append_only BEFORE UPDATE OR DELETE ON ledger_heads
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_heads_no_truncate BEFORE TRUNCATE ON ledger_heads
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
