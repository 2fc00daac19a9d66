CREATE TABLE "ledger_checkpoints" (
	"stream" text NOT NULL,
	"tree_size" bigint NOT NULL,
	"root_hash" "bytea" NOT NULL,
	"frontier" "bytea" NOT NULL,
	"key_id" text NOT NULL,
	"signed_at" timestamp (6) with time zone NOT NULL,
	"checkpoint" text NOT NULL,
	CONSTRAINT "ledger_checkpoints_stream_tree_size_pk" PRIMARY KEY("stream","tree_size")
);
--> statement-breakpoint
CREATE TABLE "ledger_merkle_tiles" (
	"stream" text NOT NULL,
	"level" smallint NOT NULL,
	"idx" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "ledger_merkle_tiles_stream_level_idx_pk" PRIMARY KEY("stream","level","idx")
);
--> statement-breakpoint
CREATE TABLE "ledger_signing_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"algorithm" text DEFAULT 'ed25519' NOT NULL,
	"public_key" "bytea" NOT NULL,
	"created_at" timestamp (6) with time zone DEFAULT now() NOT NULL
);
