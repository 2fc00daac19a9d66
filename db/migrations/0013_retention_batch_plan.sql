-- Custom migration: pin the purge batch's plan shape. Planner estimates go stale while a purge
-- deletes (and the cursor condition is opaque to them), and a hash join over the whole table per
-- batch makes a purge quadratic. Inside this function only (restored on exit), joins are nested
-- loops over the key indexes and the claim walks the primary key from the cursor, stopping at
-- the batch size: constant cost per batch. Key columns of a data class must be its primary key.
ALTER FUNCTION retention_purge_batch(text, text, timestamptz, integer, jsonb)
  SET enable_hashjoin = off
  SET enable_mergejoin = off
  SET enable_sort = off
  SET enable_seqscan = off;
