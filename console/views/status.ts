import { ApiError, getJson } from '../api';
import { h, notice, replace } from '../dom';
import { pinnedKeys } from '../storage';
import { verifyHeadSignature } from '../verify';

interface HeadView {
  version: number;
  timestamp: string;
  key_ids: string[];
  streams: Array<{ stream: string; tree_size: number; root_hash: string }>;
  head: string;
}

/** Verification status: the latest signed head, its signature checked here against the pinned keys. */
export function statusView(): HTMLElement {
  const out = h(
    'div',
    { attrs: { 'aria-live': 'polite' } },
    notice('info', 'Loading the latest signed head…'),
  );
  getJson<{ heads: HeadView[] }>('/v1/ledger/heads?limit=10')
    .then(async ({ heads }) => {
      const latest = heads[0];
      if (!latest) return replace(out, notice('info', 'No signed ledger head yet.'));
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
        h('h3', {}, 'Recent heads'),
        h(
          'ul',
          { class: 'plain' },
          ...heads.map((x) =>
            h('li', {}, `version ${x.version} · ${x.timestamp} · signed by ${x.key_ids.join(', ')}`),
          ),
        ),
        notice(
          'info',
          'This API does not serve verification runs yet; run "ledgerflow ledger verify" for a full verification of every stream.',
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
