CREATE TABLE "screening_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp (6) with time zone
);
--> statement-breakpoint
CREATE TABLE "screening_exceptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject_key" text NOT NULL,
	"source" text NOT NULL,
	"entry_id" text NOT NULL,
	"entry_hash" text NOT NULL,
	"reason" text NOT NULL,
	"reviewer" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"ledger_seq" bigint
);
--> statement-breakpoint
CREATE TABLE "screening_list_entries" (
	"version_id" uuid NOT NULL,
	"source" text NOT NULL,
	"entry_id" text NOT NULL,
	"entry_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "screening_list_entries_version_id_entry_id_pk" PRIMARY KEY("version_id","entry_id")
);
--> statement-breakpoint
CREATE TABLE "screening_list_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"content_hash" text NOT NULL,
	"origin" text NOT NULL,
	"etag" text,
	"entry_count" integer NOT NULL,
	"added" integer DEFAULT 0 NOT NULL,
	"changed" integer DEFAULT 0 NOT NULL,
	"removed" integer DEFAULT 0 NOT NULL,
	"issue_count" integer DEFAULT 0 NOT NULL,
	"issues" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"published_at" text,
	"status" text NOT NULL,
	"loaded_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp (6) with time zone,
	"ledger_seq" bigint,
	CONSTRAINT "screening_list_versions_source_hash" UNIQUE("source","content_hash")
);
--> statement-breakpoint
CREATE TABLE "screening_results" (
	"id" uuid PRIMARY KEY NOT NULL,
	"batch_id" text,
	"row_number" integer,
	"subject_id" text,
	"query" jsonb NOT NULL,
	"decision" text NOT NULL,
	"top_score" real,
	"hits" jsonb NOT NULL,
	"list_versions" jsonb NOT NULL,
	"matcher_version" text NOT NULL,
	"thresholds" jsonb NOT NULL,
	"screened_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"ledger_seq" bigint
);
--> statement-breakpoint
CREATE INDEX "screening_alerts_open" ON "screening_alerts" USING btree ("source") WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE INDEX "screening_exceptions_subject" ON "screening_exceptions" USING btree ("subject_key","source","entry_id");--> statement-breakpoint
CREATE INDEX "screening_list_entries_source_entry" ON "screening_list_entries" USING btree ("source","entry_id");--> statement-breakpoint
CREATE INDEX "screening_list_versions_source_status" ON "screening_list_versions" USING btree ("source","status");--> statement-breakpoint
CREATE INDEX "screening_results_batch" ON "screening_results" USING btree ("batch_id","row_number");--> statement-breakpoint
CREATE INDEX "screening_results_subject" ON "screening_results" USING btree ("subject_id") WHERE subject_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX "screening_results_screened_at" ON "screening_results" USING btree ("screened_at");