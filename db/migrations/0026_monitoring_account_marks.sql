CREATE TABLE "monitoring_account_marks" (
	"account_id" text PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"watermark" timestamp (3) with time zone
);
--> statement-breakpoint
-- Custom: privileges, the marks of the accounts already stored, and the purge triggers.
REVOKE ALL ON monitoring_account_marks FROM PUBLIC;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON monitoring_account_marks TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON monitoring_account_marks TO ledgerflow_reader;
--> statement-breakpoint
INSERT INTO monitoring_account_marks (account_id, version, watermark)
SELECT account_id, 1, max(occurred_at) FILTER (WHERE status = 'evaluated') FROM monitoring_transactions GROUP BY account_id
ON CONFLICT (account_id) DO NOTHING;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION monitoring_account_marks_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE monitoring_account_marks m SET version = m.version + 1,
         watermark = (SELECT max(t.occurred_at) FROM monitoring_transactions t
                       WHERE t.account_id = m.account_id AND t.status = 'evaluated')
   WHERE m.account_id IN (SELECT DISTINCT account_id FROM gone);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER monitoring_transactions_marks AFTER DELETE ON monitoring_transactions
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION monitoring_account_marks_bump();
--> statement-breakpoint
CREATE TRIGGER monitoring_alerts_marks AFTER DELETE ON monitoring_alerts
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION monitoring_account_marks_bump();
