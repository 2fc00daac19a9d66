import { FRAMEWORK } from '../../../core/posture/types';
import { previewClasses } from '../../retention/preview';
import { defineControl } from '../control';

/** Nothing that expired more than purgeGraceHours ago is still waiting to be purged. */
export const purgeNotOverdue = defineControl<{
  as_of: string;
  overdue: Array<{ data_class: string; purgeable: number }>;
}>({
  definition: {
    id: 'purge-not-overdue',
    title: 'No purge overdue',
    description:
      'retention_preview as of (now − purgeGraceHours) finds no purgeable (expired, unheld) rows in any covered data class.',
    frameworks: [FRAMEWORK.gdprStorage, FRAMEWORK.gdprErasure],
  },
  async probe({ db, now, settings }) {
    const asOf = new Date(Date.parse(now) - settings.purgeGraceHours * 3_600_000).toISOString();
    const previews = await previewClasses(db, { asOf });
    return {
      probe: `SELECT retention_preview(data_class, '${asOf}') for every covered data class`,
      observed: {
        as_of: asOf,
        overdue: previews
          .filter((p) => p.purgeable > 0)
          .map((p) => ({ data_class: p.data_class, purgeable: p.purgeable })),
      },
    };
  },
  evaluate(o, { settings }) {
    return o.overdue.length
      ? {
          status: 'fail',
          detail: `expired more than ${settings.purgeGraceHours} h ago and not purged: ${o.overdue
            .map((x) => `${x.data_class} (${x.purgeable})`)
            .join(', ')}`,
        }
      : { status: 'pass', detail: `nothing expired before ${o.as_of} awaits purge` };
  },
});
