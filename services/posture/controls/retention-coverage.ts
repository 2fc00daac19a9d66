import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';

const SQL = `SELECT d.data_class,
       (SELECT p.policy_id FROM (SELECT DISTINCT ON (policy_id) * FROM retention_policies ORDER BY policy_id, version DESC) p
         WHERE NOT p.retired AND d.data_class = ANY (p.data_classes) ORDER BY p.policy_id LIMIT 1) AS policy_id
  FROM retention_data_classes d ORDER BY d.data_class`;

/** Every registered data class is covered by an active (latest, not retired) retention policy. */
export const retentionCoverage = defineControl<{
  classes: Array<{ data_class: string; policy_id: string | null }>;
}>({
  definition: {
    id: 'retention-coverage',
    title: 'Every data class has a retention policy',
    description:
      'Each data class in retention_data_classes is covered by the latest, non-retired version of some retention policy.',
    frameworks: [FRAMEWORK.gdprStorage, FRAMEWORK.gdprErasure, FRAMEWORK.pci105],
  },
  async probe({ db }) {
    const r = await db.$client.query<{ data_class: string; policy_id: string | null }>(SQL);
    return { probe: SQL, observed: { classes: r.rows } };
  },
  evaluate(o) {
    const uncovered = o.classes.filter((c) => !c.policy_id).map((c) => c.data_class);
    if (o.classes.length === 0) return { status: 'fail', detail: 'no data classes registered' };
    return uncovered.length
      ? { status: 'fail', detail: `data classes without a retention policy: ${uncovered.join(', ')}` }
      : { status: 'pass', detail: `${o.classes.length} data classes covered` };
  },
});
