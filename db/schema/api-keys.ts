import { sql } from 'drizzle-orm';
import { boolean, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './types';

/**
 * Keys for the auditor HTTP API. Only a SHA-256 of each key is stored; the key itself is shown
 * once at creation. Each key acts as a principal with one API role.
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    keyId: text('key_id').primaryKey(),
    keyHash: bytea('key_hash').notNull(),
    principalId: text('principal_id').notNull(),
    role: text('role').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    revokedAt: timestamp('revoked_at', { withTimezone: true, precision: 6 }),
    expiresAt: timestamp('expires_at', { withTimezone: true, precision: 6 }),
    /** Streams an emitter key may append to (never ledgerflow's own streams). */
    streams: text('streams')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Event types an emitter key may append: exact names or a prefix ending in ".*". */
    eventTypes: text('event_types')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Whether the key may name another actor (recorded as `on_behalf_of`). */
    mayDelegate: boolean('may_delegate').notNull().default(false),
  },
  (t) => [index('api_keys_principal').on(t.principalId)],
);

export type ApiKeyRow = typeof apiKeys.$inferSelect;
