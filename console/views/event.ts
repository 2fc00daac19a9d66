import { ApiError, getJson } from '../api';
import { fields, h, jsonBlock, notice, replace } from '../dom';
import { temporalLink, type App } from '../state';
import { pinnedKeys } from '../storage';
import { verifyEventProof, type ServedEvent, type ServedProof, type Verdict } from '../verify';

interface Proven {
  event: ServedEvent & {
    actor: { type: string; id: string };
    resource: { type: string; id: string };
    context: Record<string, unknown>;
    payload: unknown;
    payload_purged: boolean;
  };
  proof: ServedProof & { rootHash: string; checkpoint: string };
  head: { version: number; timestamp: string; key_ids: string[]; head: string };
}

/** Resource types the API explains (`/v1/explanations/...`), by the kind the alerts view opens. */
const EXPLAINED: Record<string, string> = { screening_result: 'screening', monitoring_alert: 'alert' };

/** The verdict banner: green with every check that held, or red with the reason. */
function verdictBox(v: Verdict): HTMLElement {
  return h(
    'div',
    { class: `verdict ${v.ok ? 'ok' : 'bad'}`, attrs: { id: 'verdict', role: 'status' } },
    h(
      'p',
      { class: 'verdict-title' },
      v.ok
        ? `✔ Verified in this browser: included in signed head version ${v.headVersion}, signed by pinned key ${v.keyId}`
        : `✘ Not verified: ${v.reason}`,
    ),
    v.steps.length ? h('ol', {}, ...v.steps.map((s) => h('li', {}, s))) : null,
  );
}

/** One event: the browser's proof verdict, its members, payload, provenance links and the proof. */
export function eventView(app: App, ref: string): HTMLElement {
  const body = h(
    'div',
    { attrs: { 'aria-live': 'polite' } },
    notice('info', 'Loading the event and its proof…'),
  );
  const back = h(
    'button',
    { attrs: { type: 'button', id: 'back' }, on: { click: () => app.show('search') } },
    '← Back to search',
  );
  const view = h(
    'section',
    {
      attrs: { 'aria-labelledby': 'event-title' },
      on: { keydown: (ev) => ev.key === 'Escape' && app.show('search') },
    },
    h('h2', { attrs: { id: 'event-title' } }, `Event ${ref.replace('/', ':')}`),
    back,
    body,
  );
  // Focus inside the view at once, so Escape (handled by the section) works while the proof loads.
  queueMicrotask(() => back.focus());
  const [stream, seq] = ref.split('/');
  getJson<Proven>(`/v1/events/${encodeURIComponent(stream ?? '')}/${encodeURIComponent(seq ?? '')}`)
    .then(async (p) => {
      const verdict = await verifyEventProof(p.event, p.proof, p.head.head, pinnedKeys());
      const e = p.event;
      const wf = typeof e.context.workflow_id === 'string' ? e.context.workflow_id : undefined;
      const run = typeof e.context.run_id === 'string' ? e.context.run_id : undefined;
      const link = wf ? temporalLink(app.config, wf, run) : undefined;
      replace(
        body,
        verdictBox(verdict),
        pinnedKeys().length === 0
          ? notice('info', 'No key is pinned: load keys.txt under "Pinned keys" to verify signatures.')
          : null,
        h(
          'div',
          { class: 'cols' },
          h(
            'div',
            { class: 'card' },
            h('h3', {}, 'Envelope (hash-committed)'),
            fields([
              ['Time (UTC)', e.occurred_at],
              ['Stream : seq', `${e.stream}:${e.seq}`],
              ['Event id', e.event_id],
              ['Type', e.event_type],
              ['Actor', `${e.actor.type}:${e.actor.id}`],
              ['Action', e.action],
              [
                'Resource',
                h(
                  'span',
                  {},
                  `${e.resource.type}:${e.resource.id} `,
                  EXPLAINED[e.resource.type]
                    ? h(
                        'button',
                        {
                          class: 'link',
                          attrs: { type: 'button', id: 'explain' },
                          on: {
                            click: () => app.show('alerts', `${EXPLAINED[e.resource.type]}:${e.resource.id}`),
                          },
                        },
                        '(explain)',
                      )
                    : null,
                ),
              ],
              ['Outcome', e.outcome],
              ['Subject', e.subject_id ?? '—'],
              [
                'Case',
                e.case_id
                  ? h(
                      'button',
                      {
                        class: 'link',
                        attrs: { type: 'button' },
                        on: { click: () => app.show('timeline', `case_id=${e.case_id}`) },
                      },
                      `${e.case_id} (timeline)`,
                    )
                  : '—',
              ],
              [
                'Workflow',
                wf
                  ? h(
                      'span',
                      {},
                      h(
                        'button',
                        {
                          class: 'link',
                          attrs: { type: 'button' },
                          on: { click: () => app.show('timeline', `workflow_id=${wf}`) },
                        },
                        `${wf} (timeline)`,
                      ),
                      link
                        ? h(
                            'a',
                            { attrs: { href: link, target: '_blank', rel: 'noopener noreferrer' } },
                            ' Temporal Web UI ↗',
                          )
                        : null,
                    )
                  : '—',
              ],
              ['Idempotency key', e.idempotency_key],
            ]),
            h('h4', {}, 'Context'),
            jsonBlock(e.context),
          ),
          h(
            'div',
            { class: 'card' },
            h('h3', {}, 'Payload'),
            e.payload === null
              ? notice('info', e.payload_purged ? 'Purged under the retention policy.' : 'Missing.')
              : jsonBlock(e.payload),
            h(
              'p',
              { class: 'hint' },
              'The payload is committed through its salted digest; the salt is not served, so this page checks the digest as part of the event hash, not the payload text.',
            ),
            h('h3', {}, 'Proof'),
            fields([
              ['Event hash', e.hash],
              ['Payload digest', e.payload_digest],
              ['Leaf index / tree size', `${p.proof.leafIndex} / ${p.proof.treeSize}`],
              ['Audit path', `${p.proof.proof.length} hash${p.proof.proof.length === 1 ? '' : 'es'}`],
              ['Signed head', `version ${p.head.version} at ${p.head.timestamp}`],
              ['Head signed by', p.head.key_ids.join(', ')],
            ]),
            h('details', {}, h('summary', {}, 'Signed head text'), h('pre', { class: 'json' }, p.head.head)),
          ),
        ),
      );
      back.focus();
    })
    .catch((err: unknown) => {
      const msg =
        err instanceof ApiError && err.status === 409
          ? `Not yet provable: ${err.message}`
          : `Could not load the event: ${(err as Error).message}`;
      replace(body, notice('error', msg));
    });
  return view;
}
