import { h, replace } from './dom';
import type { App, ConsoleConfig, ViewName } from './state';
import { session } from './storage';
import { alertsView } from './views/alerts';
import { eventView } from './views/event';
import { keysView } from './views/keys';
import { searchView } from './views/search';
import { signInView } from './views/sign-in';
import { statusView } from './views/status';
import { timelineView } from './views/timeline';

/** The auditor console: sign-in, then search, events with browser-verified proofs, timelines, alerts, status, keys. */
const NAV: Array<[ViewName, string]> = [
  ['search', 'Search'],
  ['timeline', 'Timeline'],
  ['alerts', 'Hits & alerts'],
  ['status', 'Verification'],
  ['keys', 'Pinned keys'],
];

async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const res = await fetch('/console/config.json', { cache: 'no-store' });
    if (res.ok) return (await res.json()) as ConsoleConfig;
  } catch {
    // the defaults below
  }
  return { temporal_ui_url: null, temporal_namespace: 'default' };
}

function start(config: ConsoleConfig): void {
  const main = document.getElementById('app') as HTMLElement;
  const account = document.getElementById('account') as HTMLElement;
  const nav = h('nav', { attrs: { 'aria-label': 'Console sections' } });
  const app: App = {
    config,
    filter: {},
    show(view, arg) {
      replace(
        nav,
        ...NAV.map(([v, label]) =>
          h(
            'button',
            {
              attrs: {
                type: 'button',
                'data-view': v,
                ...(v === view || (view === 'event' && v === 'search') ? { 'aria-current': 'page' } : {}),
              },
              on: { click: () => app.show(v) },
            },
            label,
          ),
        ),
      );
      const build = {
        search: () => searchView(app),
        event: () => eventView(app, arg ?? ''),
        timeline: () => timelineView(app, arg),
        alerts: () => alertsView(app, arg),
        status: () => statusView(app),
        keys: () => keysView(),
      }[view];
      replace(main, nav, build());
    },
  };
  const signedOut = () => {
    replace(account);
    replace(main, signInView(signedIn));
  };
  const signedIn = () => {
    replace(
      account,
      h(
        'button',
        {
          attrs: { type: 'button', id: 'sign-out' },
          on: {
            click: () => {
              session.clear();
              signedOut();
            },
          },
        },
        'Sign out',
      ),
    );
    app.show('search');
  };
  if (session.get()) signedIn();
  else signedOut();
}

void loadConfig().then(start);
