-- Current definitions of the monitoring functions (see README.md). The triggers and grants live
-- in the migrations (0026).

-- A delete of stored transactions or alerts (a retention purge) changes the accounts' marks, so
-- that workers' cached account states are reloaded.
CREATE OR REPLACE FUNCTION monitoring_account_marks_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE monitoring_account_marks m SET version = m.version + 1,
         watermark = (SELECT max(t.occurred_at) FROM monitoring_transactions t
                       WHERE t.account_id = m.account_id AND t.status = 'evaluated')
   WHERE m.account_id IN (SELECT DISTINCT account_id FROM gone);
  RETURN NULL;
END $$;
