import { h } from '../dom';

/** The members of a served event the tables show. */
export interface EventRowView {
  stream: string;
  seq: number;
  occurred_at: string;
  event_type: string;
  actor: { type: string; id: string };
  action: string;
  resource: { type: string; id: string };
  outcome: string;
  case_id: string | null;
}

/**
 * A table of events; each row is focusable, ArrowUp/ArrowDown (or k/j), Home and End move
 * between rows, Enter or a click opens the event.
 */
export function eventsTable(
  events: EventRowView[],
  open: (ref: string) => void,
  caption: string,
): HTMLElement {
  const rows = events.map((e) => {
    const ref = `${e.stream}/${e.seq}`;
    return h(
      'tr',
      {
        attrs: { tabindex: '0', 'data-ref': ref, 'aria-label': `${e.event_type} ${e.stream}:${e.seq}` },
        on: { click: () => open(ref) },
      },
      h('td', { class: 'mono' }, e.occurred_at.replace('T', ' ').slice(0, 23)),
      h('td', { class: 'mono' }, `${e.stream}:${e.seq}`),
      h('td', {}, e.event_type),
      h('td', {}, `${e.actor.type}:${e.actor.id}`),
      h('td', {}, e.action),
      h('td', {}, `${e.resource.type}:${e.resource.id}`),
      h('td', { class: `outcome ${e.outcome}` }, e.outcome),
    );
  });
  const tbody = h(
    'tbody',
    {
      on: {
        keydown: (ev) => {
          const row = (ev.target as HTMLElement).closest('tr');
          if (!row) return;
          const i = rows.indexOf(row as HTMLTableRowElement);
          const go = (j: number) => rows[Math.max(0, Math.min(rows.length - 1, j))]?.focus();
          if (ev.key === 'ArrowDown' || ev.key === 'j') go(i + 1);
          else if (ev.key === 'ArrowUp' || ev.key === 'k') go(i - 1);
          else if (ev.key === 'Home') go(0);
          else if (ev.key === 'End') go(rows.length - 1);
          else if (ev.key === 'Enter' || ev.key === ' ') open(row.dataset.ref as string);
          else return;
          ev.preventDefault();
        },
      },
    },
    ...rows,
  );
  const head = ['Time (UTC)', 'Event', 'Type', 'Actor', 'Action', 'Resource', 'Outcome'];
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'events' },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { attrs: { scope: 'col' } }, t)))),
      tbody,
    ),
  );
}
