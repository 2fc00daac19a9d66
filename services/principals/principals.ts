import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { PRINCIPAL_ROLES, PrincipalIdSchema, type PrincipalRole } from '../../core/loan';
import type { Database } from '../../db/client';
import { principals, type PrincipalRow } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';

/** The acting principal is unknown, missing or lacks a role; nothing was done. */
export class PrincipalError extends Error {
  readonly code = 'PRINCIPAL';
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalError';
  }
}

export const NewPrincipalSchema = z
  .object({
    id: PrincipalIdSchema,
    displayName: z.string().trim().min(1).max(200),
    roles: z.array(z.enum(PRINCIPAL_ROLES)).min(1, 'needs at least one role'),
  })
  .strict();

/**
 * The one principal check: `id` must name a known principal holding `role` (admin holds all).
 * `id` is undefined when the caller named nobody (the message names the CLI's two ways to).
 */
export async function requirePrincipal(
  db: Database,
  id: string | undefined,
  role?: PrincipalRole,
): Promise<PrincipalRow> {
  if (!id) throw new PrincipalError('no acting principal: pass --as <principal> or set LEDGERFLOW_PRINCIPAL');
  const [p] = await db.select().from(principals).where(eq(principals.id, id));
  if (!p) throw new PrincipalError(`unknown principal "${id}" (see "ledgerflow principals list")`);
  if (role && !p.roles.includes(role) && !p.roles.includes('admin')) {
    throw new PrincipalError(
      `principal "${id}" lacks the "${role}" role (has: ${p.roles.join(', ') || 'none'})`,
    );
  }
  return p;
}

/**
 * Adds a principal. The first principal may be added by anyone (bootstrap, when nobody acts);
 * after that only an admin principal may add more. Recorded in the ledger (stream `admin`).
 */
export async function addPrincipal(
  ledger: Ledger,
  raw: { id: string; displayName: string; roles: string[] },
  actingAs: string | undefined,
): Promise<PrincipalRow> {
  const db = ledger.db;
  const p = NewPrincipalSchema.parse(raw);
  const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(principals);
  const createdBy = n === 0 && !actingAs ? 'bootstrap' : (await requirePrincipal(db, actingAs, 'admin')).id;
  const [row] = await db
    .insert(principals)
    .values({ id: p.id, displayName: p.displayName, roles: p.roles, createdBy })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new PrincipalError(`principal "${p.id}" already exists`);
  await ledger.append(
    {
      event_type: 'principal.added',
      actor: { type: createdBy === 'bootstrap' ? 'system' : 'user', id: createdBy },
      resource: { type: 'principal', id: p.id },
      action: 'add',
      outcome: 'success',
      context: { request: { source: 'cli' } },
      payload: { display_name: p.displayName, roles: p.roles },
    },
    { stream: 'admin', idempotencyKey: `principal-added:${p.id}` },
  );
  return row;
}

/** All principals, by id. */
export async function listPrincipals(db: Database): Promise<PrincipalRow[]> {
  return db.select().from(principals).orderBy(principals.id);
}

/** Test/demo helper: makes sure the principal exists with these roles (no ledger event if it already did). */
export async function ensurePrincipal(
  db: Database,
  id: string,
  roles: PrincipalRole[],
  displayName = id,
): Promise<void> {
  await db.insert(principals).values({ id, displayName, roles, createdBy: 'setup' }).onConflictDoNothing();
}
