import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';
import { probeSchedules, type ScheduleProbe } from '../signals';

/** The unattended compliance jobs' Temporal schedules are installed and not paused. */
export const schedulesActive = defineControl<{ schedules: ScheduleProbe[] }>({
  definition: {
    id: 'schedules-active',
    title: 'Temporal schedules installed and not paused',
    description:
      'Each schedule in the settings (retention purge, chain verification, ...) exists in Temporal and is not paused.',
    frameworks: [FRAMEWORK.soc2CC72, FRAMEWORK.pci104, FRAMEWORK.pci107],
  },
  async probe({ temporal, settings }) {
    if (!temporal) throw new Error('no Temporal client to probe schedules with');
    const schedules = await probeSchedules(temporal, settings.schedules);
    return { probe: `temporal schedule describe ${settings.schedules.join(', ')}`, observed: { schedules } };
  },
  evaluate(o) {
    const bad = o.schedules.flatMap((s) =>
      !s.installed ? [`${s.schedule_id} not installed`] : s.paused ? [`${s.schedule_id} paused`] : [],
    );
    return bad.length
      ? { status: 'fail', detail: bad.join('; ') }
      : { status: 'pass', detail: `${o.schedules.length} schedules installed and running` };
  },
});
