import { getJson } from '../api';
import { fromBase64 } from '../bytes';
import { h, notice, replace } from '../dom';
import { keyIdOf, parseKeysText, type PinnedKey } from '../keys';
import { pinKeys, pinnedKeys, unpinKey } from '../storage';

interface ServedKeys {
  keys: Array<{ key_id: string; public_key: string }>;
}

/**
 * Pinned keys: loaded from a trusted-keys file, pasted as key lines, or named by a 16-hex
 * fingerprint obtained out of band (then the served key with that recomputed id is pinned). Keys
 * the API serves are listed apart and never used to say "verified".
 */
export function keysView(): HTMLElement {
  const status = h('div', { attrs: { 'aria-live': 'polite' } });
  const pinnedList = h('ul', { class: 'plain', attrs: { id: 'pinned-keys' } });
  const servedList = h('ul', { class: 'plain', attrs: { id: 'served-keys' } });
  let served: PinnedKey[] = [];
  const render = () => {
    const pinned = pinnedKeys();
    replace(
      pinnedList,
      ...(pinned.length
        ? pinned.map((k) =>
            h(
              'li',
              {},
              h('span', { class: 'badge ok' }, 'pinned'),
              ' ',
              h('code', {}, k.keyId),
              ' ',
              h(
                'button',
                {
                  attrs: { type: 'button', 'aria-label': `Unpin key ${k.keyId}` },
                  on: {
                    click: () => {
                      unpinKey(k.keyId);
                      render();
                    },
                  },
                },
                'Unpin',
              ),
            ),
          )
        : [h('li', {}, 'No key pinned yet: nothing can be verified.')]),
    );
    const pinnedIds = new Set(pinned.map((k) => k.keyId));
    replace(
      servedList,
      ...served.map((k) =>
        h(
          'li',
          {},
          h('span', { class: 'badge warn' }, 'served, unpinned'),
          ' ',
          h('code', {}, k.keyId),
          pinnedIds.has(k.keyId) ? ' (the same key is pinned)' : '',
        ),
      ),
    );
  };
  const pinText = async (text: string, from: string) => {
    try {
      const keys = await parseKeysText(text);
      pinKeys(keys);
      replace(status, notice('ok', `Pinned ${keys.length} key(s) from ${from}.`));
    } catch (err) {
      replace(status, notice('error', `Nothing pinned from ${from}: ${(err as Error).message}`));
    }
    render();
  };
  const file = h('input', {
    attrs: { id: 'keys-file', type: 'file', accept: '.txt,text/plain' },
    on: {
      change: () => {
        const f = file.files?.[0];
        if (f) void f.text().then((t) => pinText(t, f.name));
      },
    },
  });
  const typed = h('input', {
    attrs: {
      id: 'key-typed',
      type: 'text',
      spellcheck: 'false',
      placeholder: 'ed25519 <key id> <base64 key>, or a 16-hex fingerprint',
    },
  });
  const pinTyped = async () => {
    const v = typed.value.trim();
    if (!/^[0-9a-f]{16}$/.test(v)) return pinText(v, 'the typed line');
    for (const k of served) {
      const raw = fromBase64(k.publicKey);
      if (raw && (await keyIdOf(raw)) === v) {
        pinKeys([{ keyId: v, publicKey: k.publicKey }]);
        replace(status, notice('ok', `Pinned the served key whose fingerprint is ${v}.`));
        return render();
      }
    }
    replace(status, notice('error', `No key served by this API has the fingerprint ${v}; nothing pinned.`));
  };
  getJson<ServedKeys>('/v1/ledger/keys').then(
    (r) => {
      served = r.keys.map((k) => ({ keyId: k.key_id, publicKey: k.public_key }));
      render();
    },
    (err: unknown) =>
      replace(servedList, h('li', {}, `Could not load served keys: ${(err as Error).message}`)),
  );
  render();
  return h(
    'section',
    { attrs: { 'aria-labelledby': 'keys-title' } },
    h('h2', { attrs: { id: 'keys-title' } }, 'Pinned keys'),
    h(
      'div',
      { class: 'card' },
      h(
        'p',
        {},
        'A proof is "verified" only under a key you pinned here, obtained out of band (the keys.txt your compliance team published). Pinned keys stay in this browser (local storage).',
      ),
      h('label', { attrs: { for: 'keys-file' } }, 'Load a trusted-keys file (keys.txt)'),
      file,
      h(
        'form',
        {
          class: 'inline',
          on: {
            submit: (ev) => {
              ev.preventDefault();
              void pinTyped();
            },
          },
        },
        h('label', { attrs: { for: 'key-typed' } }, 'Or type a key'),
        typed,
        h('button', { attrs: { type: 'submit' } }, 'Pin'),
      ),
      status,
      h('h3', {}, 'Pinned in this browser'),
      pinnedList,
    ),
    h(
      'div',
      { class: 'card' },
      h('h3', {}, 'Served by the API (not a trust anchor)'),
      h('p', { class: 'hint' }, 'Shown for comparison only; never used to verify.'),
      servedList,
    ),
  );
}
