-- Custom migration: indexes for the auditor API's cross-stream event search (services/events).
-- Order key of every search: (occurred_at, stream, seq). Each equality filter an auditor uses
-- alone gets an index ending in occurred_at, so "filter + order + limit" reads the index in
-- order and stops at the page size. subject_id and case_id already have theirs (0000); the
-- workflow id gets one with occurred_at (with 0000's alone, the planner walked the time index).
CREATE INDEX IF NOT EXISTS ledger_events_occurred ON ledger_events (occurred_at, stream, seq);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_events_actor ON ledger_events (actor_id, occurred_at);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_events_resource ON ledger_events (resource_id, occurred_at);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_events_type ON ledger_events (event_type, occurred_at);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS ledger_events_workflow_time ON ledger_events ((context->>'workflow_id'), occurred_at)
  WHERE context ? 'workflow_id';
--> statement-breakpoint
-- Denials and errors are rare and what auditors look for; successes are everything else.
CREATE INDEX IF NOT EXISTS ledger_events_not_success ON ledger_events (occurred_at) WHERE outcome <> 'success';
--> statement-breakpoint
-- Full-text search over the non-personal envelope fields only (the API's `q`). Punctuation
-- becomes spaces so "loan.application_received" is three words. services/events/search-sql.ts
-- repeats this expression exactly (the planner matches it textually).
CREATE INDEX IF NOT EXISTS ledger_events_text ON ledger_events USING gin (
  to_tsvector('simple'::regconfig, translate(event_type || ' ' || action || ' ' || outcome || ' ' || actor_type || ' ' || actor_id || ' ' || resource_type || ' ' || resource_id, '._:/-', '     '))
);
--> statement-breakpoint
-- Payload text (personal data) is indexed only here, beside the chain: a purge deletes the row
-- and with it every index entry, so a purged payload is no longer found.
CREATE INDEX IF NOT EXISTS ledger_payloads_text ON ledger_payloads USING gin (
  jsonb_to_tsvector('simple'::regconfig, payload, '["string"]'::jsonb)
);
