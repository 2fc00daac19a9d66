import { XMLParser } from 'fast-xml-parser';
import { countryCode } from '../countries';
import type { EntryName, ListEntry, ParseIssue, ParsedList } from '../types';
import type { SourceAdapter } from './adapter';

type Node = Record<string, unknown>;
const ARRAYS = new Set([
  'INDIVIDUAL',
  'ENTITY',
  'INDIVIDUAL_ALIAS',
  'ENTITY_ALIAS',
  'VALUE',
  'INDIVIDUAL_DATE_OF_BIRTH',
  'INDIVIDUAL_ADDRESS',
  'ENTITY_ADDRESS',
  'INDIVIDUAL_PLACE_OF_BIRTH',
]);

const text = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');
const list = (v: unknown): Node[] =>
  Array.isArray(v) ? (v as Node[]) : v && typeof v === 'object' ? [v as Node] : [];
const values = (v: unknown): string[] =>
  list(v)
    .flatMap((n) => (Array.isArray(n.VALUE) ? n.VALUE : []))
    .map(text)
    .filter(Boolean);

function birthDates(n: Node): string[] {
  const out: string[] = [];
  for (const d of list(n.INDIVIDUAL_DATE_OF_BIRTH)) {
    if (text(d.DATE)) out.push(text(d.DATE).slice(0, 10));
    else if (text(d.YEAR)) out.push(text(d.YEAR));
    else if (text(d.FROM_YEAR) && text(d.TO_YEAR)) {
      for (let y = Number(text(d.FROM_YEAR)); y <= Number(text(d.TO_YEAR)) && out.length < 20; y++)
        out.push(String(y));
    }
  }
  return out;
}

function toEntry(n: Node, kind: 'person' | 'organization', issues: ParseIssue[]): ListEntry | undefined {
  const id = text(n.REFERENCE_NUMBER) || text(n.DATAID);
  const primaryName = [n.FIRST_NAME, n.SECOND_NAME, n.THIRD_NAME, n.FOURTH_NAME]
    .map(text)
    .filter(Boolean)
    .join(' ');
  if (!id || !primaryName) {
    issues.push({
      file: 'UN_consolidated.xml',
      message: `${kind} without a reference number or a name (DATAID ${text(n.DATAID) || '?'})`,
    });
    return undefined;
  }
  const aliases: EntryName[] = [];
  for (const a of [...list(n.INDIVIDUAL_ALIAS), ...list(n.ENTITY_ALIAS)]) {
    const name = text(a.ALIAS_NAME);
    if (name) aliases.push({ name, type: (text(a.QUALITY) || 'aka').toLowerCase() });
  }
  const original = text(n.NAME_ORIGINAL_SCRIPT);
  if (original) aliases.push({ name: original, type: 'original-script' });
  const countries = new Set<string>();
  for (const c of values(n.NATIONALITY)) {
    const code = countryCode(c);
    if (code) countries.add(code);
  }
  for (const a of [...list(n.INDIVIDUAL_ADDRESS), ...list(n.ENTITY_ADDRESS)]) {
    const code = countryCode(text(a.COUNTRY));
    if (code) countries.add(code);
  }
  return {
    source: 'un',
    entryId: id,
    kind,
    primaryName,
    aliases,
    birthDates: kind === 'person' ? birthDates(n) : [],
    countries: [...countries],
    programs: [text(n.UN_LIST_TYPE)].filter(Boolean),
    remarks: text(n.COMMENTS1) || undefined,
  };
}

/** The UN Security Council consolidated list, in the UN's XML format. */
export function parseUnXml(xml: string): ParsedList {
  const issues: ParseIssue[] = [];
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    isArray: (name) => ARRAYS.has(name),
  });
  let doc: Node;
  try {
    doc = parser.parse(xml, true) as Node;
  } catch (err) {
    return {
      source: 'un',
      entries: [],
      issues: [{ file: 'UN_consolidated.xml', message: `not valid XML: ${(err as Error).message}` }],
    };
  }
  const root = (doc.CONSOLIDATED_LIST ?? {}) as Node;
  const entries: ListEntry[] = [];
  for (const n of list((root.INDIVIDUALS as Node | undefined)?.INDIVIDUAL)) {
    const e = toEntry(n, 'person', issues);
    if (e) entries.push(e);
  }
  for (const n of list((root.ENTITIES as Node | undefined)?.ENTITY)) {
    const e = toEntry(n, 'organization', issues);
    if (e) entries.push(e);
  }
  if (!doc.CONSOLIDATED_LIST)
    issues.push({ file: 'UN_consolidated.xml', message: 'no CONSOLIDATED_LIST element' });
  const generated = text(root['@_dateGenerated']);
  return { source: 'un', entries, issues, publishedAt: generated || undefined };
}

export const unAdapter: SourceAdapter = {
  id: 'un',
  title: 'UN Security Council Consolidated List (XML)',
  files: [{ name: 'UN_consolidated.xml', required: true }],
  parse: (files) => parseUnXml(files['UN_consolidated.xml'] ?? ''),
};
