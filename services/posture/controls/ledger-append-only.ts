import { LEDGER_GUARDS, LEDGER_WRITE_PRIVILEGES } from '../../../core/posture/expected-grants';
import { shortList } from '../../../core/posture/evaluate';
import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';

const TRIGGERS_SQL = `SELECT c.relname AS table, t.tgname AS trigger, t.tgenabled <> 'D' AS enabled
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1) AND NOT t.tgisinternal`;
const WRITERS_SQL = `SELECT c.relname AS table, a.grantee::regrole::text AS role, a.privilege_type AS privilege
  FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY($1)
   AND a.grantee <> c.relowner AND a.privilege_type = ANY($2)`;

/** Ledger tables carry their append-only guard triggers (enabled) and nobody but the owner may change them. */
export const ledgerAppendOnly = defineControl<{
  missing_or_disabled: string[];
  write_grants: string[];
}>({
  definition: {
    id: 'ledger-append-only',
    title: 'Ledger tables are append-only',
    description:
      'Every ledger table carries its enabled append-only and no-truncate guard triggers, and no role other than the owner holds UPDATE, DELETE or TRUNCATE on it.',
    frameworks: [FRAMEWORK.soc2CC72, FRAMEWORK.pci103, FRAMEWORK.pci105, FRAMEWORK.hipaaAudit],
  },
  async probe({ db }) {
    const tables = Object.keys(LEDGER_GUARDS);
    const t = await db.$client.query<{ table: string; trigger: string; enabled: boolean }>(TRIGGERS_SQL, [
      tables,
    ]);
    const w = await db.$client.query<{ table: string; role: string; privilege: string }>(WRITERS_SQL, [
      tables,
      LEDGER_WRITE_PRIVILEGES,
    ]);
    const enabled = new Set(t.rows.filter((r) => r.enabled).map((r) => `${r.table}.${r.trigger}`));
    const missing = Object.entries(LEDGER_GUARDS).flatMap(([table, triggers]) =>
      triggers.map((tr) => `${table}.${tr}`).filter((x) => !enabled.has(x)),
    );
    return {
      probe: `${TRIGGERS_SQL}; ${WRITERS_SQL}`,
      observed: {
        missing_or_disabled: missing,
        write_grants: w.rows.map((r) => `${r.privilege} on ${r.table} to ${r.role}`).sort(),
      },
    };
  },
  evaluate(o) {
    const problems = [
      ...(o.missing_or_disabled.length
        ? [`guards missing or disabled: ${shortList(o.missing_or_disabled)}`]
        : []),
      ...(o.write_grants.length ? [`write privileges granted: ${shortList(o.write_grants)}`] : []),
    ];
    return problems.length
      ? { status: 'fail', detail: problems.join('; ') }
      : {
          status: 'pass',
          detail: `${Object.keys(LEDGER_GUARDS).length} ledger tables guarded, no write grants`,
        };
  },
});
