import { ApiError, getJson, getJsonIfServed } from '../api';
import { h, notice, replace } from '../dom';
import type { App } from '../state';
import { pinnedKeys } from '../storage';
import { verifyHeadSignature } from '../verify';

interface HeadView {
  version: number;
  timestamp: string;
  key_ids: string[];
  streams: Array<{ stream: string; tree_size: number; root_hash: string }>;
  head: string;
}

interface Runs {
  status: { ok: boolean; at: string; detail: string | null } | null;
  runs: Array<{
    at: string;
    ok: boolean;
    events_checked: number | null;
    mode: unknown;
    detail: string | null;
    requested_by: string | null;
    event: { stream: string; seq: number };
  }>;
}

/** A run's mode as text: a name, or its members (`mode: {kind: ...}` in some runs). */
const describeMode = (mode: unknown): string =>
  mode === null || mode === undefined ? '' : ` · ${typeof mode === 'string' ? mode : JSON.stringify(mode)}`;

/** The verification runs the API reports (status of the latest, then history), or a note without that route. */
async function runsBlock(app: App): Promise<HTMLElement> {
  const r = await getJsonIfServed<Runs>('/v1/verification/runs?limit=20');
  if (!r)
    return notice(
      'info',
      'This API does not serve verification runs; run "ledgerflow ledger verify" for a full verification of every stream.',
    );
  return h(
    'div',
    { attrs: { id: 'verification-runs' } },
    r.status
      ? notice(
          r.status.ok ? 'ok' : 'error',
          `Latest verification run (${r.status.at}): ${r.status.ok ? 'the ledger verified' : `FAILED: ${r.status.detail ?? ''}`} (as reported by the server)`,
        )
      : notice('info', 'No verification run recorded yet.'),
    h(
      'ul',
      { class: 'plain' },
      ...r.runs.map((x) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              class: 'link',
              attrs: { type: 'button' },
              on: { click: () => app.show('event', `${x.event.stream}/${x.event.seq}`) },
            },
            `${x.at} · ${x.ok ? 'valid' : 'INVALID'}`,
          ),
          ` · ${x.events_checked ?? '?'} events${describeMode(x.mode)}${x.requested_by ? ` · by ${x.requested_by}` : ''}${x.detail ? ` · ${x.detail}` : ''}`,
        ),
      ),
    ),
  );
}

/**
 * Verification status: the latest signed head, its signature checked here against the pinned
 * keys, and the server's verification runs (each a ledger event that opens with its proof).
 */
export function statusView(app: App): HTMLElement {
  const out = h(
    'div',
    { attrs: { 'aria-live': 'polite' } },
    notice('info', 'Loading the latest signed head…'),
  );
  const runs = h('div', { attrs: { 'aria-live': 'polite' } }, notice('info', 'Loading verification runs…'));
  runsBlock(app).then(
    (b) => replace(runs, b),
    (err: unknown) =>
      replace(runs, notice('error', `Could not load verification runs: ${(err as Error).message}`)),
  );
  getJson<{ heads: HeadView[] }>('/v1/ledger/heads?limit=10')
    .then(async ({ heads }) => {
      const latest = heads[0];
      if (!latest) return replace(out, notice('info', 'No signed ledger head yet.'), runs);
      const v = await verifyHeadSignature(latest.head, pinnedKeys());
      replace(
        out,
        h(
          'div',
          { class: `verdict ${v.ok ? 'ok' : 'bad'}`, attrs: { id: 'head-verdict', role: 'status' } },
          h(
            'p',
            { class: 'verdict-title' },
            v.ok
              ? `✔ Latest head (version ${latest.version}, ${latest.timestamp}) is signed by pinned key ${v.keyId}`
              : `✘ Latest head (version ${latest.version}): ${v.reason}`,
          ),
        ),
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            {},
            h('caption', {}, `Streams in head version ${latest.version}`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Stream', 'Events signed', 'Root (hex)'].map((t) =>
                  h('th', { attrs: { scope: 'col' } }, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              ...latest.streams.map((s) =>
                h(
                  'tr',
                  {},
                  h('td', {}, s.stream),
                  h('td', {}, s.tree_size),
                  h('td', { class: 'mono' }, s.root_hash),
                ),
              ),
            ),
          ),
        ),
        h('h3', {}, 'Verification runs'),
        runs,
        h('h3', {}, 'Recent heads'),
        h(
          'ul',
          { class: 'plain' },
          ...heads.map((x) =>
            h('li', {}, `version ${x.version} · ${x.timestamp} · signed by ${x.key_ids.join(', ')}`),
          ),
        ),
      );
    })
    .catch((err: unknown) =>
      replace(
        out,
        notice('error', err instanceof ApiError ? `Could not load heads: ${err.message}` : String(err)),
      ),
    );
  return h(
    'section',
    { attrs: { 'aria-labelledby': 'status-title' } },
    h('h2', { attrs: { id: 'status-title' } }, 'Verification status'),
    out,
  );
}
