import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SOURCE_ADAPTERS, detectSource, type ListFiles } from '../core/screening/sources';
import type { ParsedList } from '../core/screening/types';
import { InputError } from '../runtime/errors';

export interface LocalList {
  source: string;
  files: ListFiles;
  parsed: ParsedList;
}

/** Reads one list publication from a file or a directory of files (local path). */
export async function readListFiles(
  p: string,
  source?: string,
): Promise<{ source: string; files: ListFiles }> {
  let st;
  try {
    st = await stat(p);
  } catch {
    throw new InputError(`list path not found: ${p}`);
  }
  const files: ListFiles = {};
  const names = st.isDirectory()
    ? (await readdir(p)).filter((n) => /\.(csv|xml)$/i.test(n))
    : [path.basename(p)];
  const dir = st.isDirectory() ? p : path.dirname(p);
  for (const n of names) files[n] = await readFile(path.join(dir, n), 'utf8');
  const src = source ?? detectSource(Object.keys(files));
  if (!src || !SOURCE_ADAPTERS[src])
    throw new InputError(
      `cannot tell the list source of ${p}; pass --source ${Object.keys(SOURCE_ADAPTERS).join('|')}`,
    );
  // A single UN file under another name: give it the adapter's expected name.
  if (src === 'un' && !files['UN_consolidated.xml']) {
    const xml = Object.keys(files).find((n) => n.toLowerCase().endsWith('.xml'));
    if (xml) files['UN_consolidated.xml'] = files[xml]!;
  }
  const missing = SOURCE_ADAPTERS[src]!.files.filter((f) => f.required && files[f.name] === undefined);
  if (missing.length)
    throw new InputError(`${p}: missing ${missing.map((m) => m.name).join(', ')} for source ${src}`);
  return { source: src, files };
}

/** Reads and parses a local list publication. */
export async function loadLocalList(p: string, source?: string): Promise<LocalList> {
  const { source: src, files } = await readListFiles(p, source);
  return { source: src, files, parsed: SOURCE_ADAPTERS[src]!.parse(files) };
}
