/** One change between two JSON documents, JSON-Patch style (RFC 6902 paths), with the old value. */
export interface JsonChange {
  op: 'add' | 'remove' | 'replace';
  path: string;
  before?: unknown;
  after?: unknown;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The changes that turn `before` into `after` (objects recursed; arrays and scalars replaced whole). */
export function jsonDiff(before: unknown, after: unknown, path = ''): JsonChange[] {
  if (before === undefined && after === undefined) return [];
  if (before === undefined) return [{ op: 'add', path: path || '/', after }];
  if (after === undefined) return [{ op: 'remove', path: path || '/', before }];
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => jsonDiff(before[k], after[k], `${path}/${esc(k)}`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ op: 'replace', path: path || '/', before, after }];
}
