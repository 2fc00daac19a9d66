import { z } from 'zod';

/**
 * The one authorization model: roles, actions, and which roles may take which action. Every CLI
 * command, API route and service that writes, purges, changes policy, manages principals, keys,
 * schedules or holds, or reads audit data calls {@link authorize} (through requirePrincipal or the
 * API's key check). docs/identity.md renders this table for people.
 */
export const ROLES = ['admin', 'operator', 'reviewer', 'compliance', 'auditor', 'emitter'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** Action → roles allowed to take it. Nothing outside this table is ever allowed. */
export const PERMISSIONS = {
  'principal.manage': ['admin'],
  'api_key.manage': ['admin'],
  'schedule.manage': ['admin', 'operator'],
  'policy.change': ['admin', 'compliance'],
  'retention.purge': ['admin', 'compliance'],
  'hold.place': ['compliance'],
  'hold.release': ['compliance'],
  'ledger.append': ['admin', 'operator'],
  'history.archive': ['admin', 'operator'],
  'audit.read': ['admin', 'auditor'],
  'audit.export': ['admin', 'auditor'],
  'loan.start': ['admin', 'operator'],
  'loan.review': ['admin', 'reviewer'],
  // Other systems start loans over HTTP: emitter keys only with the loan.application_received grant.
  'loan.submit': ['admin', 'operator', 'emitter'],
  // Emitter keys see only the applications they submitted.
  'loan.read': ['admin', 'operator', 'reviewer', 'auditor', 'emitter'],
  'screening.run': ['admin', 'operator'],
  'screening.decide': ['admin', 'reviewer'],
  'lists.load': ['admin', 'operator'],
  'events.emit': ['emitter'],
  'posture.check': ['admin', 'compliance', 'auditor'],
  'monitoring.ingest': ['admin', 'operator'],
  'alerts.read': ['admin', 'reviewer', 'auditor'],
  'rules.change': ['admin'],
  'ledger.verify': ['admin', 'operator', 'compliance', 'auditor'],
  'principal.read': ['admin', 'auditor'],
  'hold.read': ['admin', 'compliance', 'auditor'],
  'schedule.read': ['admin', 'operator', 'compliance', 'auditor'],
  'lists.read': ['admin', 'operator', 'reviewer', 'auditor'],
  'alerts.assign': ['admin', 'compliance'],
  'alerts.decide': ['admin', 'reviewer'],
  'alerts.close': ['admin', 'compliance'],
} as const satisfies Record<string, readonly Role[]>;

export type Action = keyof typeof PERMISSIONS;
export const ACTIONS = Object.keys(PERMISSIONS) as Action[];

/**
 * ledgerflow's own streams: only its own services append here (never an emitter key, never
 * `ledger append` by a user), so nobody can plant a decision, a hold release or a principal.
 */
export const OWN_STREAMS = [
  'admin',
  'access',
  'loan',
  'compliance',
  'screening',
  'provenance',
  'telemetry',
  'verification',
] as const;

/** True when `stream` is one of ledgerflow's own streams. */
export function isOwnStream(stream: string): boolean {
  return (OWN_STREAMS as readonly string[]).includes(stream);
}

/** An identity that has authenticated (CLI principal or the principal behind an API key). */
export interface Principal {
  id: string;
  roles: readonly string[];
  active: boolean;
}

/** Why an action was refused: `missing`/`unknown` carry no valid credential; the rest are known. */
export type DenialKind = 'missing' | 'unknown' | 'inactive' | 'forbidden';

/** The acting principal may not take this action; nothing was done. */
export class PrincipalError extends Error {
  readonly code = 'PRINCIPAL';
  constructor(
    message: string,
    readonly kind: DenialKind = 'forbidden',
    readonly action?: Action,
    /** The claimed id, when one was given (never trusted: unknown ids go only in payloads). */
    readonly claimedId?: string,
  ) {
    super(message);
    this.name = 'PrincipalError';
  }
}

/** Whether any of `roles` may take `action`. */
export function can(roles: readonly string[], action: Action): boolean {
  const allowed: readonly string[] = PERMISSIONS[action];
  return roles.some((r) => allowed.includes(r));
}

/** Roles allowed to take `action`. */
export function rolesFor(action: Action): readonly Role[] {
  return PERMISSIONS[action];
}

/** Throws {@link PrincipalError} unless `principal` is active and may take `action`. */
export function authorize(principal: Principal, action: Action): void {
  if (!principal.active)
    throw new PrincipalError(`principal "${principal.id}" is deactivated`, 'inactive', action, principal.id);
  if (!can(principal.roles, action)) {
    // Admin is named only when it is the sole role allowed: "lacks the reviewer role" reads better.
    const needed = rolesFor(action).filter((r, _, all) => r !== 'admin' || all.length === 1);
    const lacks = needed.length === 1 ? `the "${needed[0]}" role` : `one of the roles ${needed.join(', ')}`;
    throw new PrincipalError(
      `principal "${principal.id}" may not ${action}: lacks ${lacks} (has: ${principal.roles.join(', ') || 'none'})`,
      'forbidden',
      action,
      principal.id,
    );
  }
}
