import { getJson, query } from '../api';
import { fields, h, jsonBlock, notice, replace } from '../dom';
import type { App } from '../state';

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

/** Monitoring alerts with their explanation (fired rules, the snapshot the rules saw); screening hits via the ledger. */
export function alertsView(app: App): HTMLElement {
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
      const a = await getJson<Alert>(`/v1/alerts/${encodeURIComponent(id)}`);
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
  void load();
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
        'This API does not serve screening hits by id yet. Screenings and their hits are ledger events in the ',
        h('code', {}, 'screening'),
        ' stream; each opens with its payload (the match explanation) and its proof.',
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
