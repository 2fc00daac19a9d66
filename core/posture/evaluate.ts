/** Pure evaluation helpers shared by the controls. */

/** Table privileges of one role on one table, as the catalog reports them. */
export interface TablePrivileges {
  table: string;
  role: string;
  privileges: string[];
}

/** Expected table privileges: table → role → privileges (anything absent is expected to be none). */
export type GrantMatrix = Record<string, Partial<Record<string, readonly string[]>>>;

/** Privileges present but not expected, and expected but missing, for the roles in `roles`. */
export function grantDifferences(
  expected: GrantMatrix,
  actual: TablePrivileges[],
  roles: readonly string[],
): { extra: TablePrivileges[]; missing: TablePrivileges[] } {
  const extra: TablePrivileges[] = [];
  const missing: TablePrivileges[] = [];
  const have = new Map(actual.map((a) => [`${a.table}\u0000${a.role}`, new Set(a.privileges)]));
  for (const a of actual) {
    if (!roles.includes(a.role)) continue;
    const want = new Set(expected[a.table]?.[a.role] ?? []);
    const more = a.privileges.filter((p) => !want.has(p)).sort();
    if (more.length) extra.push({ table: a.table, role: a.role, privileges: more });
  }
  for (const [table, byRole] of Object.entries(expected)) {
    for (const [role, privs] of Object.entries(byRole)) {
      const got = have.get(`${table}\u0000${role}`) ?? new Set<string>();
      const less = (privs ?? []).filter((p) => !got.has(p));
      if (less.length) missing.push({ table, role, privileges: [...less].sort() });
    }
  }
  return { extra, missing };
}

/** Whole days between two ISO times (fractional). */
export function daysBetween(fromIso: string, toIso: string): number {
  return (Date.parse(toIso) - Date.parse(fromIso)) / 86_400_000;
}

/** Hours between two ISO times (fractional). */
export function hoursBetween(fromIso: string, toIso: string): number {
  return (Date.parse(toIso) - Date.parse(fromIso)) / 3_600_000;
}

/** "a, b and 3 more": a short list for one-line details. */
export function shortList(items: string[], max = 5): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
