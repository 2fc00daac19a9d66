import { and, eq, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { PrincipalIdSchema } from '../../core/loan';
import type { Database } from '../../db/client';
import { principals, type PrincipalRow } from '../../db/schema';
import type { Ledger } from '../../ledger/ledger';
import { InputError } from '../../runtime/errors';
import {
  authorize,
  PrincipalError,
  RoleSchema,
  type Action,
  type Principal,
  type Role,
} from './authorization';

export { PrincipalError } from './authorization';

const ADMIN_STREAM = 'admin';

const RolesSchema = z.array(RoleSchema).min(1, 'needs at least one role');

export const NewPrincipalSchema = z
  .object({
    id: PrincipalIdSchema,
    displayName: z.string().trim().min(1).max(200),
    roles: RolesSchema,
  })
  .strict();

/** A principal row as the authorization model sees it. */
export const asPrincipal = (row: PrincipalRow): Principal => ({
  id: row.id,
  roles: row.roles,
  active: row.deactivatedAt === null,
});

/**
 * One principal row by id. A plain pg query: a connection error stays itself (ECONNREFUSED: the
 * CLI says the database is unreachable), not a query error that could quote its parameters.
 */
async function principalById(db: Database, id: string): Promise<PrincipalRow | undefined> {
  const r = await db.$client.query<{
    id: string;
    display_name: string;
    roles: string[];
    created_at: Date;
    created_by: string;
    deactivated_at: Date | null;
    deactivated_by: string | null;
  }>(
    'SELECT id, display_name, roles, created_at, created_by, deactivated_at, deactivated_by FROM principals WHERE id = $1',
    [id],
  );
  const p = r.rows[0];
  return p
    ? {
        id: p.id,
        displayName: p.display_name,
        roles: p.roles,
        createdAt: p.created_at,
        createdBy: p.created_by,
        deactivatedAt: p.deactivated_at,
        deactivatedBy: p.deactivated_by,
      }
    : undefined;
}

/**
 * The one principal check: `id` must name a known, active principal whose roles allow `action`.
 * `id` is undefined when the caller named nobody (the message names the CLI's two ways to).
 */
export async function requirePrincipal(
  db: Database,
  id: string | undefined,
  action: Action,
): Promise<PrincipalRow> {
  if (!id)
    throw new PrincipalError(
      'no acting principal: pass --as <principal> or set LEDGERFLOW_PRINCIPAL',
      'missing',
      action,
    );
  const row = await principalById(db, id);
  if (!row)
    throw new PrincipalError(
      `unknown principal "${id}" (see "ledgerflow principals list")`,
      'unknown',
      action,
      id,
    );
  authorize(asPrincipal(row), action);
  return row;
}

async function activeAdmins(db: Database): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(principals)
    .where(and(isNull(principals.deactivatedAt), sql`'admin' = ANY(${principals.roles})`));
  return r?.n ?? 0;
}

const changeEvent = (
  eventType: string,
  action: string,
  principalId: string,
  by: string,
  payload: Record<string, unknown>,
) => ({
  event_type: eventType,
  actor: { type: by === 'bootstrap' ? ('system' as const) : ('user' as const), id: by },
  resource: { type: 'principal', id: principalId },
  action,
  outcome: 'success' as const,
  context: { request: { source: 'cli' as const } },
  payload: payload as Record<string, never>,
});

/**
 * Adds a principal, recorded as `principal.added` (stream `admin`). Only an admin may add one;
 * while no active admin exists, an admin may be added by nobody (bootstrap, actor `bootstrap`).
 */
export async function addPrincipal(
  ledger: Ledger,
  raw: { id: string; displayName: string; roles: string[] },
  actingAs: string | undefined,
): Promise<PrincipalRow> {
  const db = ledger.db;
  const p = NewPrincipalSchema.parse(raw);
  const bootstrap = !actingAs && p.roles.includes('admin') && (await activeAdmins(db)) === 0;
  const createdBy = bootstrap ? 'bootstrap' : (await requirePrincipal(db, actingAs, 'principal.manage')).id;
  const [row] = await db
    .insert(principals)
    .values({ id: p.id, displayName: p.displayName, roles: p.roles, createdBy })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new InputError(`principal "${p.id}" already exists`);
  await ledger.append(
    changeEvent('principal.added', 'add', p.id, createdBy, { display_name: p.displayName, roles: p.roles }),
    { stream: ADMIN_STREAM, idempotencyKey: `principal-added:${p.id}` },
  );
  return row;
}

async function existing(db: Database, id: string): Promise<PrincipalRow> {
  const [row] = await db.select().from(principals).where(eq(principals.id, id));
  if (!row)
    throw new PrincipalError(`unknown principal "${id}" (see "ledgerflow principals list")`, 'unknown');
  if (row.deactivatedAt) throw new PrincipalError(`principal "${id}" is deactivated`, 'inactive');
  return row;
}

/** Replaces a principal's roles (admin only), recorded as `principal.roles_changed`. */
export async function changeRoles(
  ledger: Ledger,
  id: string,
  rawRoles: string[],
  actingAs: string | undefined,
): Promise<PrincipalRow> {
  const db = ledger.db;
  const roles = RolesSchema.parse(rawRoles);
  const by = (await requirePrincipal(db, actingAs, 'principal.manage')).id;
  const before = await existing(db, id);
  const [row] = await db.update(principals).set({ roles }).where(eq(principals.id, id)).returning();
  await ledger.append(
    changeEvent('principal.roles_changed', 'change_roles', id, by, { before: before.roles, after: roles }),
    {
      stream: ADMIN_STREAM,
      idempotencyKey: `principal-roles:${id}:${before.roles.join(',')}->${roles.join(',')}:${Date.now()}`,
    },
  );
  return row!;
}

/** Deactivates a principal for good (admin only; never the last active admin), recorded as `principal.deactivated`. */
export async function deactivatePrincipal(
  ledger: Ledger,
  id: string,
  reason: string,
  actingAs: string | undefined,
): Promise<PrincipalRow> {
  const db = ledger.db;
  const by = (await requirePrincipal(db, actingAs, 'principal.manage')).id;
  const before = await existing(db, id);
  if (before.roles.includes('admin') && (await activeAdmins(db)) <= 1)
    throw new PrincipalError(
      `principal "${id}" is the last active admin; add another admin first`,
      'forbidden',
    );
  const [row] = await db
    .update(principals)
    .set({ deactivatedAt: new Date(), deactivatedBy: by })
    .where(eq(principals.id, id))
    .returning();
  await ledger.append(changeEvent('principal.deactivated', 'deactivate', id, by, { reason }), {
    stream: ADMIN_STREAM,
    idempotencyKey: `principal-deactivated:${id}`,
  });
  return row!;
}

/** All principals, by id. */
export async function listPrincipals(db: Database): Promise<PrincipalRow[]> {
  return db.select().from(principals).orderBy(principals.id);
}

/**
 * The demo's and first `dev`'s bootstrap: makes sure an active admin exists, adding `id` (with a
 * `principal.added` event) when none does. Returns the admin to act as, and whether it was added.
 */
export async function ensureAdmin(ledger: Ledger, id: string): Promise<{ id: string; added: boolean }> {
  const [admin] = await ledger.db
    .select()
    .from(principals)
    .where(and(isNull(principals.deactivatedAt), sql`'admin' = ANY(${principals.roles})`))
    .orderBy(principals.createdAt)
    .limit(1);
  if (admin) return { id: admin.id, added: false };
  await addPrincipal(ledger, { id, displayName: 'Administrator', roles: ['admin'] }, undefined);
  return { id, added: true };
}

/** Adds the principal (acting as `actingAs`, with its ledger event) unless it already exists. */
export async function ensurePrincipalRecorded(
  ledger: Ledger,
  p: { id: string; displayName: string; roles: Role[] },
  actingAs: string,
): Promise<void> {
  const [row] = await ledger.db.select().from(principals).where(eq(principals.id, p.id));
  if (!row) await addPrincipal(ledger, p, actingAs);
}

/**
 * Test and benchmark helper: makes sure the principal exists with these roles, without a ledger
 * event (fixtures only; the demo and the CLI use addPrincipal).
 */
export async function ensurePrincipal(
  db: Database,
  id: string,
  roles: Role[],
  displayName = id,
): Promise<void> {
  await db.insert(principals).values({ id, displayName, roles, createdBy: 'setup' }).onConflictDoNothing();
}
