-- Custom migration: each signed head's stream lines (stream, tree size), so an incremental
-- verification of one stream reads by index the heads that reach its range instead of every head
-- ever signed. Filled only by a trigger on ledger_heads (the app roles can read it, not write it);
-- append-only like ledger_heads. A head that lists a stream has a row for it, so leaving out the
-- heads without a row at or beyond the verified range leaves out only heads about earlier events.
CREATE TABLE IF NOT EXISTS ledger_head_streams (
  stream text NOT NULL,
  tree_size bigint NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (stream, tree_size, version)
);
--> statement-breakpoint
REVOKE ALL ON ledger_head_streams FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT ON ledger_head_streams TO ledgerflow_writer, ledgerflow_reader, ledgerflow_purger;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_head_streams_append_only BEFORE UPDATE OR DELETE ON ledger_head_streams
  FOR EACH ROW EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_head_streams_no_truncate BEFORE TRUNCATE ON ledger_head_streams
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_head_lines(p_head text)
RETURNS TABLE (stream text, tree_size bigint) LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT DISTINCT m[1], m[2]::bigint FROM regexp_matches(p_head, '^([^ ]+) ([1-9][0-9]{0,15}) ', 'gn') AS m;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ledger_index_head_streams() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO ledger_head_streams (stream, tree_size, version)
  SELECT l.stream, l.tree_size, NEW.version FROM ledger_head_lines(NEW.head) l
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE TRIGGER ledger_heads_index_streams AFTER INSERT ON ledger_heads
  FOR EACH ROW EXECUTE FUNCTION ledger_index_head_streams();
--> statement-breakpoint
ALTER TABLE ledger_heads ENABLE ALWAYS TRIGGER ledger_heads_index_streams;
--> statement-breakpoint
INSERT INTO ledger_head_streams (stream, tree_size, version)
SELECT l.stream, l.tree_size, h.version FROM ledger_heads h, ledger_head_lines(h.head) l
ON CONFLICT DO NOTHING;
