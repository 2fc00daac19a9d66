import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';

const SQL = `SELECT h.hold_id::text AS hold_id,
       btrim(h.case_id) = '' AS no_case, btrim(h.placed_by) = '' AS no_owner,
       btrim(h.placed_by) <> '' AND NOT EXISTS (SELECT 1 FROM principals p WHERE p.id = h.placed_by) AS unknown_owner
  FROM legal_holds h
 WHERE NOT EXISTS (SELECT 1 FROM legal_hold_releases r WHERE r.hold_id = h.hold_id)`;

/** Every active legal hold names a case and an owner who is a known principal. */
export const legalHoldsOwned = defineControl<{
  active: number;
  problems: Array<{ hold_id: string; problem: string }>;
}>({
  definition: {
    id: 'legal-holds-owned',
    title: 'Legal holds have a case id and an owner',
    description:
      'Every active (unreleased) legal hold has a non-blank case id and was placed by a known principal, so someone answers for keeping the data.',
    frameworks: [FRAMEWORK.gdprErasure, FRAMEWORK.pci105],
  },
  async probe({ db }) {
    const r = await db.$client.query<{
      hold_id: string;
      no_case: boolean;
      no_owner: boolean;
      unknown_owner: boolean;
    }>(SQL);
    const problems = r.rows.flatMap((h) => [
      ...(h.no_case ? [{ hold_id: h.hold_id, problem: 'no case id' }] : []),
      ...(h.no_owner ? [{ hold_id: h.hold_id, problem: 'no owner' }] : []),
      ...(h.unknown_owner ? [{ hold_id: h.hold_id, problem: 'owner is not a known principal' }] : []),
    ]);
    return { probe: SQL, observed: { active: r.rows.length, problems } };
  },
  evaluate(o) {
    return o.problems.length
      ? {
          status: 'fail',
          detail: o.problems.map((p) => `hold ${p.hold_id}: ${p.problem}`).join('; '),
        }
      : { status: 'pass', detail: `${o.active} active holds, each with a case id and an owner` };
  },
});
