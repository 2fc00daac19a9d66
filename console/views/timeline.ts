import { ApiError, getJson, getJsonIfServed, query } from '../api';
import { h, notice, replace } from '../dom';
import { temporalLink, type App } from '../state';
import type { EventRowView } from './events-table';

type LedgerEvent = EventRowView & { context: Record<string, unknown> };

interface Page {
  events: LedgerEvent[];
  next_cursor: string | null;
}

/** A workflow's joined timeline as `GET /v1/provenance/workflows/{id}` serves it. */
interface Timeline {
  workflowId: string;
  runId?: string;
  origin: string;
  entries: Array<{
    at: string;
    source: 'temporal' | 'ledger';
    ref: string;
    type: string;
    detail: string;
    links: string[];
  }>;
}

const MAX_EVENTS = 5000;

/** Every ledger event of a case or workflow through the search route (when no provenance route exists). */
async function ledgerEvents(kind: string, id: string): Promise<LedgerEvent[]> {
  const events: LedgerEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await getJson<Page>(`/v1/events${query({ [kind]: id, order: 'asc', limit: 1000, cursor })}`);
    events.push(...page.events);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && events.length < MAX_EVENTS);
  return events;
}

/** The provenance of a case or workflow; undefined when this API has no provenance routes. */
async function provenance(
  kind: string,
  id: string,
): Promise<{ events: LedgerEvent[]; workflows: Timeline[] } | undefined> {
  const path =
    kind === 'case_id'
      ? `/v1/provenance/cases/${encodeURIComponent(id)}`
      : `/v1/provenance/workflows/${encodeURIComponent(id)}`;
  try {
    if (kind === 'case_id')
      return await getJsonIfServed<{ events: LedgerEvent[]; workflows: Timeline[] }>(path);
    const t = await getJsonIfServed<Timeline>(path);
    return t && { events: [], workflows: [t] };
  } catch (err) {
    // A workflow neither Temporal nor the archive knows: its ledger events still tell its story.
    if (err instanceof ApiError && err.status === 404) return { events: [], workflows: [] };
    throw err;
  }
}

/**
 * A case or workflow timeline: Temporal history joined with ledger events (the API's provenance
 * routes), each run linked to the Temporal Web UI; the case's ledger events in time order. On an
 * API without provenance routes, the ledger events only, and the page says so.
 * `arg` is `case_id=<id>` or `workflow_id=<id>`.
 */
export function timelineView(app: App, arg?: string): HTMLElement {
  const [initialKind, ...rest] = (arg ?? 'case_id=').split('=');
  const option = (value: string, label: string) =>
    h('option', { attrs: { value, ...(initialKind === value ? { selected: '' } : {}) } }, label);
  const kind = h(
    'select',
    { attrs: { id: 't-kind' } },
    option('case_id', 'Case id'),
    option('workflow_id', 'Workflow id'),
  );
  const id = h('input', { attrs: { id: 't-id', type: 'text', value: rest.join('='), required: '' } });
  const out = h('div', { attrs: { 'aria-live': 'polite' } });
  const openRef = (ref: string) => app.show('event', ref.replace(':', '/'));
  const runLink = (wf: string, run?: string) => {
    const href = temporalLink(app.config, wf, run);
    return href
      ? h(
          'a',
          { class: 'temporal-link', attrs: { href, target: '_blank', rel: 'noopener noreferrer' } },
          'Temporal Web UI history ↗',
        )
      : '(no Temporal Web UI configured)';
  };
  const workflowBlock = (t: Timeline) =>
    h(
      'div',
      { class: 'card workflow-timeline' },
      h(
        'h4',
        {},
        `Workflow ${t.workflowId}${t.runId ? ` (run ${t.runId})` : ''} · history from ${t.origin} `,
        runLink(t.workflowId, t.runId),
      ),
      h(
        'ol',
        { class: 'timeline joined' },
        ...t.entries.map((e) =>
          h(
            'li',
            { class: e.source },
            h('span', { class: 'mono' }, e.at.replace('T', ' ').slice(0, 23)),
            ' ',
            h('span', { class: `badge ${e.source === 'ledger' ? 'ok' : 'warn'}` }, e.source),
            ' ',
            e.source === 'ledger'
              ? h(
                  'button',
                  { class: 'link', attrs: { type: 'button' }, on: { click: () => openRef(e.ref) } },
                  e.ref,
                )
              : h('span', { class: 'mono' }, e.ref),
            ` ${e.type}${e.detail ? ` · ${e.detail}` : ''}`,
            e.links.length ? ` ↔ ${e.links.join(', ')}` : '',
          ),
        ),
      ),
    );
  const load = async () => {
    replace(out, notice('info', 'Loading…'));
    try {
      const k = kind.value;
      const v = id.value.trim();
      const joined = await provenance(k, v);
      const events = joined?.events.length ? joined.events : await ledgerEvents(k, v);
      const runs = new Set<string>();
      for (const e of events)
        if (typeof e.context.workflow_id === 'string')
          runs.add(`${e.context.workflow_id} ${String(e.context.run_id ?? '')}`);
      const joinedIds = new Set(joined?.workflows.map((w) => w.workflowId));
      const unjoined = [...runs].filter((r) => !joinedIds.has(r.split(' ')[0] as string));
      replace(
        out,
        joined
          ? null
          : notice(
              'info',
              'This API serves no provenance routes: the timeline shows the ledger events only; each run links to its history in the Temporal Web UI.',
            ),
        events.length === 0 && !joined?.workflows.length
          ? notice('info', 'No ledger events for this id.')
          : null,
        joined?.workflows.length ? h('h3', {}, 'Temporal history joined with ledger events') : null,
        ...(joined?.workflows ?? []).map(workflowBlock),
        unjoined.length
          ? h(
              'div',
              {},
              h('h3', {}, joined ? 'Runs whose history the API could not load' : 'Workflow runs'),
              h(
                'ul',
                { attrs: { id: 'timeline-runs' } },
                ...unjoined.map((r) => {
                  const [wf, run] = r.split(' ') as [string, string];
                  return h('li', {}, `${wf}${run ? ` (run ${run})` : ''} `, runLink(wf, run || undefined));
                }),
              ),
            )
          : null,
        events.length
          ? h(
              'div',
              {},
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
                      e.event_type,
                    ),
                    ` ${e.stream}:${e.seq} · ${e.actor.type}:${e.actor.id} · ${e.action} → ${e.outcome}`,
                    typeof e.context.step === 'string' ? ` · step ${e.context.step}` : '',
                  ),
                ),
              ),
            )
          : null,
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
    out,
  );
  if (id.value) void load();
  return view;
}
