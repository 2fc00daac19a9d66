/**
 * The console builds every node with this helper: text goes in as text nodes, never as HTML, so
 * data from the API (an event containing `<script>`) always renders as text.
 */
type Child = Node | string | number | null | undefined | false;

interface Props {
  class?: string;
  /** Attributes set with setAttribute (values are text). */
  attrs?: Record<string, string | undefined>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
}

/** An element with properties and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  for (const [k, v] of Object.entries(props.attrs ?? {})) if (v !== undefined) node.setAttribute(k, v);
  for (const [k, fn] of Object.entries(props.on ?? {})) node.addEventListener(k, fn as EventListener);
  append(node, ...children);
  return node;
}

/** Appends children, strings as text nodes. */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** A definition list of label/value pairs. */
export function fields(rows: Array<[string, Child]>): HTMLDListElement {
  return h('dl', { class: 'fields' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A block of pretty-printed JSON, as text. */
export function jsonBlock(value: unknown): HTMLPreElement {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

/** A status line: `role="status"` so screen readers announce it. */
export function notice(kind: 'info' | 'error' | 'ok', text: string): HTMLParagraphElement {
  return h('p', { class: `notice ${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' } }, text);
}
