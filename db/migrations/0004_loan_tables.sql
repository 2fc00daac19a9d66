CREATE TABLE "loan_applications" (
	"id" text PRIMARY KEY NOT NULL,
	"applicant" jsonb,
	"company_registration_number" text NOT NULL,
	"amount" numeric(14, 2) NOT NULL,
	"currency" text NOT NULL,
	"term_months" integer NOT NULL,
	"purpose" text NOT NULL,
	"file_digest" text NOT NULL,
	"submitted_by" text NOT NULL,
	"status" text DEFAULT 'submitted' NOT NULL,
	"decision" text,
	"decided_by" text,
	"workflow_run_id" text,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loan_enrichments" (
	"application_id" text NOT NULL,
	"source" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"record" jsonb NOT NULL,
	"record_digest" text NOT NULL,
	"provider" text NOT NULL,
	"provider_ref" text,
	"fetched_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "loan_enrichments_application_id_source_pk" PRIMARY KEY("application_id","source")
);
--> statement-breakpoint
CREATE TABLE "loan_interim_watchlist" (
	"id" text PRIMARY KEY NOT NULL,
	"list_name" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"country" text,
	"birth_year" integer
);
--> statement-breakpoint
CREATE TABLE "principals" (
	"id" text PRIMARY KEY NOT NULL,
	"display_name" text NOT NULL,
	"roles" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workflow_histories" (
	"workflow_id" text NOT NULL,
	"run_id" text NOT NULL,
	"workflow_type" text NOT NULL,
	"status" text NOT NULL,
	"closed_at" timestamp (6) with time zone,
	"event_count" integer NOT NULL,
	"history" text NOT NULL,
	"digest_sha256" text NOT NULL,
	"ledger_stream" text,
	"ledger_seq" bigint,
	"archived_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_histories_workflow_id_run_id_pk" PRIMARY KEY("workflow_id","run_id")
);
--> statement-breakpoint
CREATE INDEX "loan_applications_status" ON "loan_applications" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "workflow_histories_closed" ON "workflow_histories" USING btree ("closed_at");