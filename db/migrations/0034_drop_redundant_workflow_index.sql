-- ledger_events_workflow ((context->>'workflow_id') WHERE context ? 'workflow_id', 0000) is covered by
-- ledger_events_workflow_time (the same expression and predicate, then occurred_at; 0023): every
-- workflow-id lookup it served, ledger_events_workflow_time serves. Workflow ids are random keys,
-- so each such index costs every append one random leaf page: on a 10M-event ledger whose indexes
-- outgrow shared_buffers that is a read, a dirtied page and a full-page WAL image per event.
DROP INDEX IF EXISTS "ledger_events_workflow";
