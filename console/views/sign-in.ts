import { ApiError, getJson } from '../api';
import { h, notice, replace } from '../dom';
import { session } from '../storage';

/**
 * The sign-in form: the key is checked against the API (a read of the latest head, which needs
 * audit.read) and kept in sessionStorage only.
 */
export function signInView(onSignedIn: () => void): HTMLElement {
  const input = h('input', {
    attrs: { id: 'api-key', type: 'password', autocomplete: 'off', required: '', spellcheck: 'false' },
  });
  const status = h('div', { attrs: { 'aria-live': 'polite' } });
  const form = h(
    'form',
    {
      class: 'card narrow',
      attrs: { 'aria-labelledby': 'sign-in-title' },
      on: {
        submit: (ev) => {
          ev.preventDefault();
          const key = input.value.trim();
          replace(status, notice('info', 'Checking the key…'));
          getJson('/v1/ledger/heads?limit=1', key).then(
            () => {
              session.set(key);
              onSignedIn();
            },
            (err: unknown) => {
              const msg =
                err instanceof ApiError && (err.status === 401 || err.status === 403)
                  ? `Sign-in refused: ${err.message}`
                  : `Sign-in failed: ${(err as Error).message}`;
              replace(status, notice('error', msg));
              input.focus();
            },
          );
        },
      },
    },
    h('h2', { attrs: { id: 'sign-in-title' } }, 'Sign in'),
    h('label', { attrs: { for: 'api-key' } }, 'API key (auditor role)'),
    input,
    h(
      'p',
      { class: 'hint' },
      'The key stays in this tab only (session storage) and is forgotten on sign-out or when the tab closes.',
    ),
    h('button', { attrs: { type: 'submit' } }, 'Sign in'),
    status,
  );
  queueMicrotask(() => input.focus());
  return form;
}
