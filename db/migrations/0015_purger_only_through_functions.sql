-- The purger may change data only through the SECURITY DEFINER purge functions (which run as
-- the owner and enforce legal holds); direct DELETE/UPDATE on business tables is taken back.
REVOKE UPDATE, DELETE ON loan_applications, loan_enrichments, workflow_histories, screening_results FROM ledgerflow_purger;
