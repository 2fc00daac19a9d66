import { getJson, getJsonIfServed, query } from '../api';
import { fields, h, jsonBlock, notice, replace } from '../dom';
import type { App } from '../state';
import { eventsTable, type EventRowView } from './events-table';

interface Alert {
  alert_id: string;
  account_id: string;
  typology: string;
  score: number;
  decision: string;
  rules: unknown;
  snapshot: unknown;
  created_at: string;
  rule_set_version: number;
  mode: string;
  transaction_ids: string[];
  trigger_transaction_id: string;
}

interface ScreeningResult {
  id: string;
  subject_id: string | null;
  query: unknown;
  decision: string;
  top_score: number | null;
  hits: unknown;
  list_versions: unknown;
  matcher_version: unknown;
  thresholds: unknown;
  screened_at: string;
}

/** The ledger events about an alert or a screening result, each opening with its proof. */
function traceBlock(app: App, trace: EventRowView[] | undefined): HTMLElement {
  if (!trace) return h('p', { class: 'hint' }, 'This API serves no ledger trace for it.');
  return trace.length
    ? eventsTable(
        trace,
        (ref) => app.show('event', ref),
        'Its ledger trace; Enter opens an event with its proof',
      )
    : h('p', {}, 'No ledger events name it.');
}

/**
 * Screening hits and monitoring alerts with their explanation: the hits with the lists and
 * thresholds used, or the rules that fired and the snapshot they saw, and the ledger trace of
 * each. `arg` is `alert:<id>` or `screening:<id>` to open one.
 */
export function alertsView(app: App, arg?: string): HTMLElement {
  const list = h('div', { attrs: { 'aria-live': 'polite' } }, notice('info', 'Loading alerts…'));
  const detail = h('div', { attrs: { id: 'alert-detail', 'aria-live': 'polite' } });
  const account = h('input', { attrs: { id: 'a-account', type: 'text' } });
  const mode = h(
    'select',
    { attrs: { id: 'a-mode' } },
    h('option', { attrs: { value: 'live' } }, 'live'),
    h('option', { attrs: { value: 'shadow' } }, 'shadow'),
  );
  const openAlert = async (id: string) => {
    replace(detail, notice('info', 'Loading the alert…'));
    try {
      const explained = await getJsonIfServed<{ alert: Alert; trace: EventRowView[] }>(
        `/v1/explanations/alerts/${encodeURIComponent(id)}`,
      );
      const a = explained?.alert ?? (await getJson<Alert>(`/v1/alerts/${encodeURIComponent(id)}`));
      replace(
        detail,
        h(
          'div',
          { class: 'card' },
          h('h3', {}, `Alert ${a.alert_id}`),
          fields([
            ['Account', a.account_id],
            ['Typology', a.typology],
            ['Decision / score', `${a.decision} / ${a.score}`],
            ['Created', a.created_at],
            ['Rule set version / mode', `${a.rule_set_version} / ${a.mode}`],
            ['Trigger transaction', a.trigger_transaction_id],
            ['Transactions', a.transaction_ids.join(', ')],
          ]),
          h('h4', {}, 'Why: the rules that fired'),
          jsonBlock(a.rules),
          h('h4', {}, 'What the rules saw (snapshot)'),
          jsonBlock(a.snapshot),
          h('h4', {}, 'Ledger trace'),
          traceBlock(app, explained?.trace),
        ),
      );
    } catch (err) {
      replace(detail, notice('error', `Could not load the alert: ${(err as Error).message}`));
    }
  };
  const load = async () => {
    try {
      const page = await getJson<{ alerts: Alert[] }>(
        `/v1/alerts${query({ account: account.value.trim(), mode: mode.value, limit: 200 })}`,
      );
      replace(
        list,
        page.alerts.length === 0
          ? notice('info', 'No alerts.')
          : h(
              'ul',
              { class: 'plain' },
              ...page.alerts.map((a) =>
                h(
                  'li',
                  {},
                  h(
                    'button',
                    {
                      class: 'link',
                      attrs: { type: 'button' },
                      on: { click: () => void openAlert(a.alert_id) },
                    },
                    `${a.created_at} · ${a.typology} · ${a.decision} (score ${a.score}) · account ${a.account_id}`,
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      replace(list, notice('error', `Could not load alerts: ${(err as Error).message}`));
    }
  };
  const screeningId = h('input', { attrs: { id: 's-id', type: 'text', spellcheck: 'false', required: '' } });
  const openScreening = async (id: string) => {
    replace(detail, notice('info', 'Loading the screening…'));
    try {
      const x = await getJsonIfServed<{ result: ScreeningResult; trace: EventRowView[] }>(
        `/v1/explanations/screening/${encodeURIComponent(id)}`,
      );
      if (!x) {
        replace(
          detail,
          notice('info', 'This API does not explain screenings yet: see the screening events.'),
        );
        return;
      }
      const r = x.result;
      replace(
        detail,
        h(
          'div',
          { class: 'card' },
          h('h3', {}, `Screening ${r.id}`),
          fields([
            ['Decision / top score', `${r.decision} / ${r.top_score ?? '—'}`],
            ['Screened at', String(r.screened_at)],
            ['Subject', r.subject_id ?? '—'],
          ]),
          h('h4', {}, 'Why: the hits and how each matched'),
          jsonBlock(r.hits),
          h('h4', {}, 'Lists, matcher and thresholds used'),
          jsonBlock({
            list_versions: r.list_versions,
            matcher_version: r.matcher_version,
            thresholds: r.thresholds,
          }),
          h('h4', {}, 'Ledger trace'),
          traceBlock(app, x.trace),
        ),
      );
    } catch (err) {
      replace(detail, notice('error', `Could not load the screening: ${(err as Error).message}`));
    }
  };
  void load();
  const [kind, id] = (arg ?? '').split(/:(.*)/s);
  if (kind === 'alert' && id) void openAlert(id);
  if (kind === 'screening' && id) {
    screeningId.value = id;
    void openScreening(id);
  }
  return h(
    'section',
    { attrs: { 'aria-labelledby': 'alerts-title' } },
    h('h2', { attrs: { id: 'alerts-title' } }, 'Screening hits and alerts'),
    h(
      'div',
      { class: 'card' },
      h('h3', {}, 'Screening hits'),
      h(
        'p',
        {},
        'Each screening is a ledger event in the ',
        h('code', {}, 'screening'),
        ' stream (resource screening_result); open one, or give its result id, for its hits and their explanation.',
      ),
      h(
        'button',
        {
          attrs: { type: 'button', id: 'screening-events' },
          on: {
            click: () => {
              app.filter = { stream: 'screening' };
              app.show('search');
            },
          },
        },
        'Show screening events',
      ),
      h(
        'form',
        {
          class: 'inline',
          on: {
            submit: (ev) => {
              ev.preventDefault();
              void openScreening(screeningId.value.trim());
            },
          },
        },
        h('label', { attrs: { for: 's-id' } }, 'Screening result id'),
        screeningId,
        h('button', { attrs: { type: 'submit' } }, 'Explain'),
      ),
    ),
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
      h('label', { attrs: { for: 'a-account' } }, 'Account'),
      account,
      h('label', { attrs: { for: 'a-mode' } }, 'Mode'),
      mode,
      h('button', { attrs: { type: 'submit' } }, 'List alerts'),
    ),
    list,
    detail,
  );
}
