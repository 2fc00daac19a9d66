import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json';
import { normalizeName } from '../../core/screening/normalize';
import type { ListFiles } from '../../core/screening/sources';
import type { ListEntry } from '../../core/screening/types';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** SHA-256 over the files of a publication (sorted by name), the version's identity. */
export function contentHashOf(files: ListFiles): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(`${name}\n${sha256(files[name]!)}\n`);
  return h.digest('hex');
}

/** Hash of one list entry: a false-positive exception holds only while the entry keeps this hash. */
export const entryHashOf = (e: ListEntry) => sha256(canonicalJson(e)).slice(0, 32);

/** Key of false-positive exceptions: the customer id, else the normalised name. */
export function subjectKeyOf(subjectId: string | undefined, name: string | undefined): string {
  if (subjectId) return `subject:${subjectId}`;
  return `name:${normalizeName(name ?? '')
    .tokens.map((t) => t.text)
    .join(' ')}`;
}
