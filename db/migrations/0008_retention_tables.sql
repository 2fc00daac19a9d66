CREATE TABLE "legal_hold_releases" (
	"hold_id" uuid PRIMARY KEY NOT NULL,
	"released_by" text NOT NULL,
	"reason" text NOT NULL,
	"released_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "legal_holds" (
	"hold_id" uuid PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"scope_type" text,
	"scope_value" text NOT NULL,
	"case_id" text NOT NULL,
	"reason" text NOT NULL,
	"placed_by" text NOT NULL,
	"placed_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retention_data_classes" (
	"data_class" text PRIMARY KEY NOT NULL,
	"table_name" text NOT NULL,
	"key_columns" text[] NOT NULL,
	"created_column" text,
	"closed_column" text,
	"last_activity_column" text,
	"subject_column" text,
	"case_column" text,
	"resource_type" text,
	"resource_id_column" text,
	"action" text NOT NULL,
	"description" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "retention_policies" (
	"policy_id" text NOT NULL,
	"version" integer NOT NULL,
	"data_classes" text[] NOT NULL,
	"period_seconds" bigint NOT NULL,
	"period" text NOT NULL,
	"trigger" text NOT NULL,
	"action" text NOT NULL,
	"locked" boolean DEFAULT false NOT NULL,
	"legal_minimum_seconds" bigint DEFAULT 0 NOT NULL,
	"retired" boolean DEFAULT false NOT NULL,
	"changed_by" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "retention_policies_policy_id_version_pk" PRIMARY KEY("policy_id","version")
);
--> statement-breakpoint
CREATE TABLE "retention_purge_batches" (
	"purge_run_id" text NOT NULL,
	"data_class" text NOT NULL,
	"batch_no" integer NOT NULL,
	"purged" integer NOT NULL,
	"held_skipped" integer DEFAULT 0 NOT NULL,
	"first_key" text,
	"last_key" text,
	"min_ts" timestamp (6) with time zone,
	"max_ts" timestamp (6) with time zone,
	"digest" "bytea",
	"as_of" timestamp (6) with time zone NOT NULL,
	"policy_versions" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT clock_timestamp() NOT NULL,
	CONSTRAINT "retention_purge_batches_purge_run_id_data_class_batch_no_pk" PRIMARY KEY("purge_run_id","data_class","batch_no")
);
--> statement-breakpoint
ALTER TABLE "legal_hold_releases" ADD CONSTRAINT "legal_hold_releases_hold_id_legal_holds_hold_id_fk" FOREIGN KEY ("hold_id") REFERENCES "public"."legal_holds"("hold_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "legal_holds_scope" ON "legal_holds" USING btree ("scope","scope_value");