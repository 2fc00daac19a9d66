import { getJson, query } from '../api';
import { h, notice, replace } from '../dom';
import { temporalLink, type App } from '../state';
import type { EventRowView } from './events-table';

interface Page {
  events: Array<EventRowView & { context: Record<string, unknown> }>;
  next_cursor: string | null;
}

const MAX_EVENTS = 5000;

/**
 * A case or workflow timeline: the ledger events of the case (or workflow) in time order, with
 * each workflow run linked to the Temporal Web UI. `arg` is `case_id=<id>` or `workflow_id=<id>`.
 */
export function timelineView(app: App, arg?: string): HTMLElement {
  const [initialKind, ...rest] = (arg ?? 'case_id=').split('=');
  const kind = h(
    'select',
    { attrs: { id: 't-kind' } },
    h(
      'option',
      { attrs: { value: 'case_id', ...(initialKind === 'case_id' ? { selected: '' } : {}) } },
      'Case id',
    ),
    h(
      'option',
      { attrs: { value: 'workflow_id', ...(initialKind === 'workflow_id' ? { selected: '' } : {}) } },
      'Workflow id',
    ),
  );
  const id = h('input', { attrs: { id: 't-id', type: 'text', value: rest.join('='), required: '' } });
  const out = h('div', { attrs: { 'aria-live': 'polite' } });
  const load = async () => {
    replace(out, notice('info', 'Loading…'));
    try {
      const events: Page['events'] = [];
      let cursor: string | undefined;
      do {
        const page = await getJson<Page>(
          `/v1/events${query({ [kind.value]: id.value.trim(), order: 'asc', limit: 1000, cursor })}`,
        );
        events.push(...page.events);
        cursor = page.next_cursor ?? undefined;
      } while (cursor && events.length < MAX_EVENTS);
      const runs = new Map<string, string | undefined>();
      for (const e of events)
        if (typeof e.context.workflow_id === 'string')
          runs.set(`${e.context.workflow_id} ${String(e.context.run_id ?? '')}`, undefined);
      const links = [...runs.keys()].map((k) => {
        const [wf, run] = k.split(' ') as [string, string];
        const href = temporalLink(app.config, wf, run || undefined);
        return h(
          'li',
          {},
          `${wf}${run ? ` (run ${run})` : ''} `,
          href
            ? h(
                'a',
                { attrs: { href, target: '_blank', rel: 'noopener noreferrer' } },
                'Temporal Web UI history ↗',
              )
            : '(no Temporal Web UI configured)',
        );
      });
      replace(
        out,
        events.length === 0
          ? notice('info', 'No ledger events for this id.')
          : h(
              'div',
              {},
              h('h3', {}, 'Workflow runs'),
              links.length
                ? h('ul', { attrs: { id: 'timeline-runs' } }, ...links)
                : h('p', {}, 'None recorded.'),
              h('h3', {}, `Ledger events (${events.length})`),
              h(
                'ol',
                { class: 'timeline', attrs: { id: 'timeline' } },
                ...events.map((e) =>
                  h(
                    'li',
                    {},
                    h('span', { class: 'mono' }, e.occurred_at.replace('T', ' ').slice(0, 23)),
                    ' ',
                    h(
                      'button',
                      {
                        class: 'link',
                        attrs: { type: 'button' },
                        on: { click: () => app.show('event', `${e.stream}/${e.seq}`) },
                      },
                      `${e.event_type}`,
                    ),
                    ` ${e.stream}:${e.seq} · ${e.actor.type}:${e.actor.id} · ${e.action} → ${e.outcome}`,
                    typeof e.context.step === 'string' ? ` · step ${e.context.step}` : '',
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      replace(out, notice('error', `Could not load the timeline: ${(err as Error).message}`));
    }
  };
  const view = h(
    'section',
    { attrs: { 'aria-labelledby': 'timeline-title' } },
    h('h2', { attrs: { id: 'timeline-title' } }, 'Case / workflow timeline'),
    h(
      'form',
      {
        class: 'card inline',
        on: {
          submit: (ev) => {
            ev.preventDefault();
            void load();
          },
        },
      },
      h('label', { attrs: { for: 't-kind' } }, 'By'),
      kind,
      h('label', { attrs: { for: 't-id' } }, 'Id'),
      id,
      h('button', { attrs: { type: 'submit' } }, 'Show timeline'),
    ),
    notice(
      'info',
      'This API does not serve Temporal histories yet: the timeline shows the ledger events of the case or workflow; each run links to its history in the Temporal Web UI.',
    ),
    out,
  );
  if (id.value) void load();
  return view;
}
