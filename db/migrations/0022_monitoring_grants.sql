-- Custom migration: privileges on the monitoring tables (drizzle-kit generates none), and
-- transactions and alerts as retention data classes. Idempotent. The app never connects as the owner.
REVOKE ALL ON monitoring_transactions, monitoring_rejections, monitoring_alerts, monitoring_rule_versions FROM PUBLIC;
--> statement-breakpoint
-- Transactions, rejections and alerts are insert-only for the app.
GRANT SELECT, INSERT ON monitoring_transactions, monitoring_rejections, monitoring_alerts TO ledgerflow_writer;
--> statement-breakpoint
-- Rule-set versions change mode (shadow -> live -> retired).
GRANT SELECT, INSERT, UPDATE ON monitoring_rule_versions TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON monitoring_transactions, monitoring_rejections, monitoring_alerts, monitoring_rule_versions TO ledgerflow_reader;
--> statement-breakpoint
-- Retention: the purger reads; it deletes only through the purge functions (see 0015).
GRANT SELECT ON monitoring_transactions, monitoring_alerts TO ledgerflow_purger;
--> statement-breakpoint
INSERT INTO retention_data_classes (data_class, table_name, key_columns, created_column, closed_column, last_activity_column,
  subject_column, case_column, resource_type, resource_id_column, action, description) VALUES
  ('transactions', 'monitoring_transactions', '{transaction_id}', 'occurred_at', NULL, 'occurred_at', 'account_id', NULL,
   'transaction', 'transaction_id', 'delete', 'Monitored transactions: amounts, counterparties, places'),
  ('alerts', 'monitoring_alerts', '{alert_id}', 'created_at', NULL, NULL, 'account_id', NULL, 'monitoring_alert',
   'alert_id', 'delete', 'Monitoring alerts with their traces and the history snapshots the rules saw')
ON CONFLICT (data_class) DO UPDATE SET table_name = EXCLUDED.table_name, key_columns = EXCLUDED.key_columns,
  created_column = EXCLUDED.created_column, closed_column = EXCLUDED.closed_column,
  last_activity_column = EXCLUDED.last_activity_column, subject_column = EXCLUDED.subject_column,
  case_column = EXCLUDED.case_column, resource_type = EXCLUDED.resource_type,
  resource_id_column = EXCLUDED.resource_id_column, action = EXCLUDED.action, description = EXCLUDED.description;
