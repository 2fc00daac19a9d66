-- Custom migration: privileges on the loan, principals and archived-history tables (drizzle-kit
-- generates none). Idempotent. The app never connects as the owner.
REVOKE ALL ON loan_applications, loan_enrichments, loan_interim_watchlist, principals, workflow_histories FROM PUBLIC;
--> statement-breakpoint
-- Writer (CLI and worker): applications and enrichment records change status/version over time.
GRANT SELECT, INSERT, UPDATE ON loan_applications, loan_enrichments TO ledgerflow_writer;
--> statement-breakpoint
-- Principals, the interim watch list and archived histories are insert-only for the app.
GRANT SELECT, INSERT ON loan_interim_watchlist, principals, workflow_histories TO ledgerflow_writer;
--> statement-breakpoint
GRANT SELECT ON loan_applications, loan_enrichments, loan_interim_watchlist, principals, workflow_histories TO ledgerflow_reader;
--> statement-breakpoint
-- Retention: personal data and archived histories are data classes the purger may erase.
GRANT SELECT, UPDATE, DELETE ON loan_applications, loan_enrichments TO ledgerflow_purger;
--> statement-breakpoint
GRANT SELECT, DELETE ON workflow_histories TO ledgerflow_purger;
--> statement-breakpoint
GRANT SELECT ON loan_interim_watchlist, principals TO ledgerflow_purger;
