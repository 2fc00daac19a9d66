CREATE TABLE "ledger_events" (
	"stream" text NOT NULL,
	"seq" bigint NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text NOT NULL,
	"occurred_at" timestamp (6) with time zone NOT NULL,
	"resource_type" text NOT NULL,
	"resource_id" text NOT NULL,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"subject_id" text,
	"case_id" text,
	"context" jsonb NOT NULL,
	"schema_version" integer NOT NULL,
	"idempotency_key" text NOT NULL,
	"payload_digest" "bytea" NOT NULL,
	"prev_hash" "bytea" NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "ledger_events_stream_seq_pk" PRIMARY KEY("stream","seq"),
	CONSTRAINT "ledger_events_idempotency" UNIQUE("stream","idempotency_key"),
	CONSTRAINT "ledger_events_event_id" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "ledger_payload_purges" (
	"stream" text NOT NULL,
	"seq" bigint NOT NULL,
	"purged_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"purge_run_id" text NOT NULL,
	"reason" text NOT NULL,
	CONSTRAINT "ledger_payload_purges_stream_seq_pk" PRIMARY KEY("stream","seq")
);
--> statement-breakpoint
CREATE TABLE "ledger_payloads" (
	"stream" text NOT NULL,
	"seq" bigint NOT NULL,
	"salt" "bytea" NOT NULL,
	"payload" jsonb NOT NULL,
	CONSTRAINT "ledger_payloads_stream_seq_pk" PRIMARY KEY("stream","seq")
);
--> statement-breakpoint
CREATE INDEX "ledger_events_subject" ON "ledger_events" USING btree ("subject_id") WHERE subject_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "ledger_events_case" ON "ledger_events" USING btree ("case_id") WHERE case_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "ledger_events_workflow" ON "ledger_events" USING btree ((context->>'workflow_id')) WHERE context ? 'workflow_id';