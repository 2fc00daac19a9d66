ALTER TABLE "principals" ADD COLUMN "deactivated_at" timestamp (6) with time zone;--> statement-breakpoint
ALTER TABLE "principals" ADD COLUMN "deactivated_by" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamp (6) with time zone;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "streams" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "event_types" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "may_delegate" boolean DEFAULT false NOT NULL;