import { APP_ROLES } from '../../../db/roles';
import { grantDifferences, shortList, type TablePrivileges } from '../../../core/posture/evaluate';
import { EXPECTED_GRANTS } from '../../../core/posture/expected-grants';
import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';

const ROLES_SQL = `SELECT rolname AS role, rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication
  FROM pg_roles WHERE rolname = ANY($1)`;
const GRANTS_SQL = `SELECT c.relname AS table, a.grantee::regrole::text AS role,
       array_agg(DISTINCT a.privilege_type ORDER BY a.privilege_type) AS privileges
  FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
   AND a.grantee IN (SELECT oid FROM pg_roles WHERE rolname = ANY($1))
 GROUP BY 1, 2`;

type Attr = 'rolsuper' | 'rolcreaterole' | 'rolcreatedb' | 'rolbypassrls' | 'rolreplication';
const ATTRS: Attr[] = ['rolsuper', 'rolcreaterole', 'rolcreatedb', 'rolbypassrls', 'rolreplication'];

/** App roles are not superusers (nor hold other cluster powers) and hold exactly their table grants. */
export const appRolesLeastPrivilege = defineControl<{
  missing_roles: string[];
  powers: string[];
  extra: string[];
  missing: string[];
}>({
  definition: {
    id: 'app-roles-least-privilege',
    title: 'App roles hold only their grants',
    description:
      'ledgerflow_writer, _reader and _purger are not superusers and hold no CREATEROLE, CREATEDB, BYPASSRLS or REPLICATION; their table privileges equal the expected grant matrix (core/posture/expected-grants.ts).',
    frameworks: [FRAMEWORK.soc2CC61, FRAMEWORK.pci103, FRAMEWORK.hipaaAudit],
  },
  async probe({ db }) {
    const roles = await db.$client.query<Record<Attr, boolean> & { role: string }>(ROLES_SQL, [APP_ROLES]);
    const grants = await db.$client.query<TablePrivileges>(GRANTS_SQL, [APP_ROLES]);
    const { extra, missing } = grantDifferences(EXPECTED_GRANTS, grants.rows, APP_ROLES);
    const fmt = (g: TablePrivileges) => `${g.privileges.join(',')} on ${g.table} to ${g.role}`;
    return {
      probe: `${ROLES_SQL}; ${GRANTS_SQL}`,
      observed: {
        missing_roles: APP_ROLES.filter((r) => !roles.rows.some((x) => x.role === r)),
        powers: roles.rows.flatMap((r) => ATTRS.filter((a) => r[a]).map((a) => `${r.role} ${a}`)),
        extra: extra.map(fmt),
        missing: missing.map(fmt),
      },
    };
  },
  evaluate(o) {
    const problems = [
      ...(o.powers.length ? [`cluster powers: ${shortList(o.powers)}`] : []),
      ...(o.extra.length ? [`unexpected grants: ${shortList(o.extra)}`] : []),
      ...(o.missing_roles.length ? [`roles missing: ${o.missing_roles.join(', ')}`] : []),
      ...(o.missing.length ? [`expected grants missing: ${shortList(o.missing)}`] : []),
    ];
    return problems.length
      ? { status: 'fail', detail: problems.join('; ') }
      : { status: 'pass', detail: 'app roles hold exactly their grants, no cluster powers' };
  },
});
