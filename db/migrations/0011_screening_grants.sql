-- Custom migration: privileges on the screening tables (drizzle-kit generates none), and the
-- screening results as a retention data class. Idempotent. The app never connects as the owner.
REVOKE ALL ON screening_list_versions, screening_list_entries, screening_results, screening_exceptions, screening_alerts FROM PUBLIC;
--> statement-breakpoint
-- Writer (CLI and worker): list versions change status (active -> superseded), alerts get resolved.
GRANT SELECT, INSERT, UPDATE ON screening_list_versions, screening_alerts TO ledgerflow_writer;
--> statement-breakpoint
-- Entries, results and false-positive exceptions are insert-only for the app.
GRANT SELECT, INSERT ON screening_list_entries, screening_results, screening_exceptions TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON screening_list_versions, screening_list_entries, screening_results, screening_exceptions, screening_alerts TO ledgerflow_reader;
--> statement-breakpoint
-- Retention: screening results hold the screened names and hits (personal data).
GRANT SELECT, DELETE ON screening_results TO ledgerflow_purger;
--> statement-breakpoint
GRANT SELECT ON screening_exceptions TO ledgerflow_purger;
--> statement-breakpoint
INSERT INTO retention_data_classes (data_class, table_name, key_columns, created_column, closed_column, last_activity_column,
  subject_column, case_column, resource_type, resource_id_column, action, description) VALUES
  ('screening_results', 'screening_results', '{id}', 'screened_at', NULL, NULL, 'subject_id', NULL, 'screening_result', 'id',
   'delete', 'Sanctions screening results: screened names and hits with explanations')
ON CONFLICT (data_class) DO UPDATE SET table_name = EXCLUDED.table_name, key_columns = EXCLUDED.key_columns,
  created_column = EXCLUDED.created_column, closed_column = EXCLUDED.closed_column,
  last_activity_column = EXCLUDED.last_activity_column, subject_column = EXCLUDED.subject_column,
  case_column = EXCLUDED.case_column, resource_type = EXCLUDED.resource_type,
  resource_id_column = EXCLUDED.resource_id_column, action = EXCLUDED.action, description = EXCLUDED.description;
