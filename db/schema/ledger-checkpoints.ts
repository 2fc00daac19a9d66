import { bigint, pgTable, primaryKey, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './types';

/**
 * Signed checkpoints (tree heads) of each stream's Merkle tree. `frontier` is the compact range
 * at `tree_size` (one 32-byte hash per set bit of the size, largest subtree first), so the next
 * checkpoint only hashes the events appended since. Append-only.
 */
export const ledgerCheckpoints = pgTable(
  'ledger_checkpoints',
  {
    stream: text('stream').notNull(),
    treeSize: bigint('tree_size', { mode: 'number' }).notNull(),
    rootHash: bytea('root_hash').notNull(),
    frontier: bytea('frontier').notNull(),
    keyId: text('key_id').notNull(),
    signedAt: timestamp('signed_at', { withTimezone: true, precision: 6 }).notNull(),
    /** The full signed checkpoint text, exactly as published. */
    checkpoint: text('checkpoint').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.treeSize] })],
);

/**
 * Hashes of perfect Merkle subtrees at tile levels (8, 16, 24, … = 256, 65 536, … leaves), so
 * proofs read at most a few hundred hashes per level instead of rehashing every leaf. Append-only.
 */
export const ledgerMerkleTiles = pgTable(
  'ledger_merkle_tiles',
  {
    stream: text('stream').notNull(),
    level: smallint('level').notNull(),
    idx: bigint('idx', { mode: 'number' }).notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.level, t.idx] })],
);

/**
 * Public halves of the checkpoint signing keys ever used. Informational only: a verifier trusts
 * a key only when it is pinned outside the database. Append-only.
 */
export const ledgerSigningKeys = pgTable('ledger_signing_keys', {
  keyId: text('key_id').primaryKey(),
  algorithm: text('algorithm').notNull().default('ed25519'),
  publicKey: bytea('public_key').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});

export type LedgerCheckpointRow = typeof ledgerCheckpoints.$inferSelect;
export type NewLedgerCheckpointRow = typeof ledgerCheckpoints.$inferInsert;
export type LedgerMerkleTileRow = typeof ledgerMerkleTiles.$inferSelect;
export type LedgerSigningKeyRow = typeof ledgerSigningKeys.$inferSelect;
