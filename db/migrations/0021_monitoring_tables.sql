CREATE TABLE "monitoring_alerts" (
	"alert_id" uuid PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"typology" text NOT NULL,
	"score" real NOT NULL,
	"decision" text NOT NULL,
	"mode" text NOT NULL,
	"rule_set_version" integer NOT NULL,
	"trigger_transaction_id" text NOT NULL,
	"transaction_ids" text[] NOT NULL,
	"fired_rules" text[] NOT NULL,
	"rules" jsonb NOT NULL,
	"snapshot" jsonb NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"ledger_seq" bigint
);
--> statement-breakpoint
CREATE TABLE "monitoring_rejections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"line" integer NOT NULL,
	"transaction_id" text,
	"reason" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "monitoring_rule_versions" (
	"version" integer PRIMARY KEY NOT NULL,
	"config" jsonb NOT NULL,
	"mode" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "monitoring_transactions" (
	"transaction_id" text PRIMARY KEY NOT NULL,
	"account_id" text NOT NULL,
	"counterparty_id" text NOT NULL,
	"channel" text NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"content_hash" text NOT NULL,
	"data" jsonb NOT NULL,
	"status" text NOT NULL,
	"ingested_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "monitoring_alerts_account" ON "monitoring_alerts" USING btree ("account_id","created_at");--> statement-breakpoint
CREATE INDEX "monitoring_alerts_list" ON "monitoring_alerts" USING btree ("mode","created_at","alert_id");--> statement-breakpoint
CREATE INDEX "monitoring_alerts_fired" ON "monitoring_alerts" USING gin ("fired_rules");--> statement-breakpoint
CREATE INDEX "monitoring_rejections_created" ON "monitoring_rejections" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "monitoring_rule_versions_one_live" ON "monitoring_rule_versions" USING btree ("mode") WHERE mode = 'live';--> statement-breakpoint
CREATE INDEX "monitoring_transactions_account_time" ON "monitoring_transactions" USING btree ("account_id","occurred_at");--> statement-breakpoint
CREATE INDEX "monitoring_transactions_time" ON "monitoring_transactions" USING btree ("occurred_at");