import { getFile, getJson, query } from '../api';
import { append, h, notice, replace } from '../dom';
import { verifyExportText, type ExportVerdict } from '../export-check';
import { pinnedKeys } from '../storage';
import type { App, Filter } from '../state';
import { eventsTable, type EventRowView } from './events-table';

interface Page {
  events: Array<EventRowView & Record<string, unknown>>;
  next_cursor: string | null;
}

/** The filters of `GET /v1/events` the form offers, with their labels. */
const FIELDS: Array<[name: string, label: string, hint?: string]> = [
  ['q', 'Full text (envelope)', 'type, action, outcome, actor, resource'],
  ['payload_text', 'Full text (payloads)'],
  ['stream', 'Stream'],
  ['event_type', 'Event type'],
  ['actor', 'Actor id'],
  ['action', 'Action'],
  ['resource_type', 'Resource type'],
  ['resource', 'Resource id'],
  ['subject_id', 'Subject id'],
  ['case_id', 'Case id'],
  ['workflow_id', 'Workflow id'],
  ['from', 'From (ISO time)', 'e.g. 2026-03-01T00:00:00Z'],
  ['to', 'To (ISO time, exclusive)'],
];

const PAGE = 50;
const EXPORT_MAX = 100_000;

/**
 * The download of a filter: the API's signed export (`GET /v1/exports/events`) when this API
 * offers it, else every event of the filter as the search serves them, as JSONL.
 */
async function exportFile(
  filter: Filter,
): Promise<{ blob: Blob; name: string; note: string; verdict?: ExportVerdict }> {
  const signed = await getFile(`/v1/exports/events${query(filter)}`);
  if (signed)
    return {
      blob: signed.blob,
      name: signed.name ?? `ledgerflow-export-${new Date().toISOString()}.jsonl`,
      note: 'Downloaded the signed export of this filter.',
      verdict: await verifyExportText(await signed.blob.text(), pinnedKeys()),
    };
  const events = await allEvents(filter);
  return {
    blob: new Blob(
      events.map((e) => `${JSON.stringify(e)}\n`),
      { type: 'application/x-ndjson' },
    ),
    name: `ledgerflow-events-${new Date().toISOString()}.jsonl`,
    note: `Downloaded ${events.length} events (this API offers no signed export yet).`,
  };
}

/** Every event of a filter, page after page (for the download). */
async function allEvents(filter: Filter): Promise<unknown[]> {
  const out: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await getJson<Page>(`/v1/events${query({ ...filter, limit: 1000, cursor })}`);
    out.push(...page.events);
    cursor = page.next_cursor ?? undefined;
  } while (cursor && out.length < EXPORT_MAX);
  return out;
}

/** Search across streams: the filter form, a results table and cursor paging. */
export function searchView(app: App): HTMLElement {
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  const field = (name: string, label: string, hint?: string) => {
    const input = h('input', {
      attrs: { id: `f-${name}`, name, type: 'text', value: app.filter[name] ?? '', placeholder: hint },
    });
    inputs.set(name, input);
    return h('div', { class: 'field' }, h('label', { attrs: { for: `f-${name}` } }, label), input);
  };
  const select = (name: string, label: string, options: string[]) => {
    const s = h(
      'select',
      { attrs: { id: `f-${name}`, name } },
      ...options.map((o) =>
        h('option', { attrs: { value: o, ...(app.filter[name] === o ? { selected: '' } : {}) } }, o || 'any'),
      ),
    );
    inputs.set(name, s);
    return h('div', { class: 'field' }, h('label', { attrs: { for: `f-${name}` } }, label), s);
  };
  const results = h('div', { attrs: { id: 'results', 'aria-live': 'polite' } });
  const cursors: Array<string | undefined> = [];
  const readFilter = (): Filter => {
    const f: Filter = {};
    for (const [k, input] of inputs) if (input.value.trim()) f[k] = input.value.trim();
    return f;
  };
  const open = (ref: string) => app.show('event', ref);
  let latest = 0;
  // `focusRows`: after an explicit search or page turn the first row takes the focus; a search
  // run on entering the view must not steal it from a field being typed in.
  const run = async (cursor: string | undefined, focusRows: boolean) => {
    // Only the latest search may fill the results (an earlier, slower answer is dropped).
    const mine = ++latest;
    results.dataset.state = 'loading';
    replace(results, notice('info', 'Searching…'));
    try {
      const { order = 'desc', ...filter } = app.filter;
      const page = await getJson<Page>(`/v1/events${query({ ...filter, order, limit: PAGE, cursor })}`);
      if (mine !== latest) return;
      const n = cursors.length;
      const pager = h(
        'div',
        { class: 'pager' },
        h(
          'button',
          { attrs: { type: 'button', ...(n > 1 ? {} : { disabled: '' }) }, on: { click: () => back() } },
          '← Previous page',
        ),
        h('span', {}, `Page ${n}`),
        h(
          'button',
          {
            attrs: { type: 'button', id: 'next-page', ...(page.next_cursor ? {} : { disabled: '' }) },
            on: { click: () => next(page.next_cursor ?? undefined) },
          },
          'Next page →',
        ),
      );
      replace(
        results,
        page.events.length
          ? eventsTable(page.events, open, `${page.events.length} events (page ${n}); Enter opens one`)
          : notice('info', 'No events match this filter.'),
        pager,
      );
      if (focusRows) (results.querySelector('tbody tr') as HTMLElement | null)?.focus();
    } catch (err) {
      if (mine !== latest) return;
      replace(results, notice('error', `Search failed: ${(err as Error).message}`));
    }
    results.dataset.state = 'done';
  };
  const next = (cursor: string | undefined, focusRows = true) => {
    cursors.push(cursor);
    void run(cursor, focusRows);
  };
  const back = () => {
    cursors.pop();
    void run(cursors.at(-1), true);
  };
  const download = h('a', { class: 'hidden', attrs: { id: 'download-link' } });
  const exportStatus = h('span', { attrs: { 'aria-live': 'polite' } });
  const form = h(
    'form',
    {
      class: 'card filters',
      attrs: { role: 'search', 'aria-label': 'Search events' },
      on: {
        submit: (ev) => {
          ev.preventDefault();
          app.filter = readFilter();
          cursors.length = 0;
          next(undefined);
        },
      },
    },
    h('div', { class: 'grid' }, ...FIELDS.map(([n, l, hint]) => field(n, l, hint))),
    h(
      'div',
      { class: 'grid' },
      select('outcome', 'Outcome', ['', 'success', 'denied', 'error']),
      select('actor_type', 'Actor type', ['', 'user', 'service', 'workflow', 'schedule', 'system']),
      select('order', 'Order', ['desc', 'asc']),
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { attrs: { type: 'submit', id: 'search-button' } }, 'Search'),
      h(
        'button',
        {
          attrs: { type: 'button', id: 'export-button' },
          on: {
            click: () => {
              const filter = readFilter();
              const { order: _o, ...only } = filter;
              replace(exportStatus, 'Preparing the download…');
              exportFile(only).then(
                ({ blob, name, note, verdict }) => {
                  const url = URL.createObjectURL(blob);
                  download.setAttribute('href', url);
                  download.setAttribute('download', name);
                  download.click();
                  setTimeout(() => URL.revokeObjectURL(url), 60_000);
                  replace(
                    exportStatus,
                    note,
                    verdict
                      ? h(
                          'span',
                          {
                            class: `verdict inline-verdict ${verdict.ok ? 'ok' : 'bad'}`,
                            attrs: { id: 'export-verdict' },
                          },
                          verdict.ok
                            ? `✔ Verified in this browser: ${verdict.count} events, each proven against signed head version ${verdict.headVersion}; manifest signed by pinned key ${verdict.keyId}`
                            : `✘ Not verified: ${verdict.reason}`,
                        )
                      : null,
                  );
                },
                (err: unknown) => replace(exportStatus, `Download failed: ${(err as Error).message}`),
              );
            },
          },
        },
        'Download export',
      ),
      exportStatus,
      download,
    ),
    h(
      'p',
      { class: 'hint' },
      'The download is the signed export of this filter when the API offers one; otherwise the events of ' +
        'this filter as the search serves them (every page, in time order), each provable here one by one.',
    ),
  );
  const view = h('section', { attrs: { 'aria-labelledby': 'search-title' } });
  append(view, h('h2', { attrs: { id: 'search-title' } }, 'Search events'), form, results);
  if (Object.keys(app.filter).length) next(undefined, false);
  return view;
}
