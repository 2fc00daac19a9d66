import { parse } from 'csv-parse/sync';
import type { EntityKind } from '../normalize';
import { countryCode } from '../countries';
import type { ListEntry, ParseIssue, ParsedList } from '../types';
import type { ListFiles, SourceAdapter } from './adapter';

const EMPTY = '-0-';
const EOF_MARK = String.fromCharCode(0x1a);
const clean = (v: string | undefined): string => {
  const t = (v ?? '').trim();
  return t === EMPTY ? '' : t;
};

/** Parses one legacy OFAC CSV file; broken rows become issues, the rest loads. */
function rows(file: string, text: string | undefined, issues: ParseIssue[]): string[][] {
  if (text === undefined) return [];
  const out = parse(text, {
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (err: { message?: string; lines?: number } | undefined) => {
      issues.push({ file, line: err?.lines, message: err?.message ?? 'unparseable row' });
    },
  }) as string[][];
  // Drop the DOS end-of-file marker some OFAC files carry.
  return out.filter((r) => !(r.length === 1 && (r[0] ?? '').replace(EOF_MARK, '').trim() === ''));
}

const MONTHS: Record<string, string> = {
  jan: '01',
  feb: '02',
  mar: '03',
  apr: '04',
  may: '05',
  jun: '06',
  jul: '07',
  aug: '08',
  sep: '09',
  oct: '10',
  nov: '11',
  dec: '12',
};

/** Birth dates from OFAC remarks: "DOB 01 Jan 1960", "DOB Jan 1960", "DOB 1960", "DOB circa 1955", "DOB 1960 to 1962". */
export function ofacBirthDates(remarks: string): string[] {
  const out: string[] = [];
  const re = /DOB (?:circa )?(?:(\d{1,2}) )?(?:([A-Z][a-z]{2}) )?(\d{4})(?: to (\d{4}))?/g;
  for (const m of remarks.matchAll(re)) {
    const [, d, mon, y, to] = m;
    const mm = mon ? MONTHS[mon.toLowerCase()] : undefined;
    out.push(mm ? (d ? `${y}-${mm}-${d.padStart(2, '0')}` : `${y}-${mm}`) : y!);
    if (to) for (let yy = Number(y) + 1; yy <= Number(to) && yy - Number(y) < 10; yy++) out.push(String(yy));
  }
  return out;
}

function remarkCountries(remarks: string): string[] {
  const out: string[] = [];
  for (const m of remarks.matchAll(/(?:nationality|citizen) ([A-Za-z ,'()-]+?)(?:;|\.$|\.\s|$)/gi)) {
    const c = countryCode(m[1]);
    if (c) out.push(c);
  }
  return out;
}

function kindOf(type: string): EntityKind {
  switch (type.toLowerCase()) {
    case 'individual':
      return 'person';
    case 'vessel':
      return 'vessel';
    case 'aircraft':
      return 'aircraft';
    default:
      return 'organization';
  }
}

/** OFAC legacy CSV (SDN: sdn/alt/add/sdn_comments; consolidated: cons_prim/cons_alt/cons_add/cons_comments). */
export function parseOfacCsv(source: 'ofac-sdn' | 'ofac-consolidated', files: ListFiles): ParsedList {
  const prefix =
    source === 'ofac-sdn'
      ? { prim: 'sdn.csv', alt: 'alt.csv', add: 'add.csv', comments: 'sdn_comments.csv' }
      : { prim: 'cons_prim.csv', alt: 'cons_alt.csv', add: 'cons_add.csv', comments: 'cons_comments.csv' };
  const issues: ParseIssue[] = [];
  const byId = new Map<string, ListEntry>();
  for (const r of rows(prefix.prim, files[prefix.prim], issues)) {
    const id = clean(r[0]);
    const name = clean(r[1]);
    if (!/^\d+$/.test(id) || !name) {
      issues.push({
        file: prefix.prim,
        message: `row without a numeric id and a name: ${JSON.stringify(r.slice(0, 2))}`,
      });
      continue;
    }
    const remarks = clean(r[11]);
    byId.set(id, {
      source,
      entryId: id,
      kind: kindOf(clean(r[2])),
      primaryName: name,
      aliases: [],
      birthDates: [],
      countries: [],
      programs: clean(r[3])
        .split(/[[\];]+/)
        .map((p) => p.trim())
        .filter(Boolean),
      remarks,
    });
  }
  for (const r of rows(prefix.comments, files[prefix.comments], issues)) {
    const e = byId.get(clean(r[0]));
    if (e) e.remarks = `${e.remarks ?? ''}${clean(r[1])}`;
  }
  for (const r of rows(prefix.alt, files[prefix.alt], issues)) {
    const e = byId.get(clean(r[0]));
    const name = clean(r[3]);
    if (!e || !name) {
      issues.push({
        file: prefix.alt,
        message: `alias for unknown entry or without a name: ${JSON.stringify(r.slice(0, 4))}`,
      });
      continue;
    }
    e.aliases.push({ name, type: clean(r[2]).toLowerCase() || 'aka' });
  }
  for (const r of rows(prefix.add, files[prefix.add], issues)) {
    const e = byId.get(clean(r[0]));
    const c = countryCode(clean(r[4]));
    if (e && c && !e.countries.includes(c)) e.countries.push(c);
  }
  for (const e of byId.values()) {
    const remarks = e.remarks ?? '';
    e.birthDates = ofacBirthDates(remarks);
    for (const c of remarkCountries(remarks)) if (!e.countries.includes(c)) e.countries.push(c);
  }
  return { source, entries: [...byId.values()], issues };
}

export const ofacSdnAdapter: SourceAdapter = {
  id: 'ofac-sdn',
  title: 'OFAC Specially Designated Nationals (legacy CSV)',
  files: [
    { name: 'sdn.csv', required: true },
    { name: 'alt.csv', required: false },
    { name: 'add.csv', required: false },
    { name: 'sdn_comments.csv', required: false },
  ],
  parse: (files) => parseOfacCsv('ofac-sdn', files),
};

export const ofacConsolidatedAdapter: SourceAdapter = {
  id: 'ofac-consolidated',
  title: 'OFAC Consolidated (non-SDN) list (legacy CSV)',
  files: [
    { name: 'cons_prim.csv', required: true },
    { name: 'cons_alt.csv', required: false },
    { name: 'cons_add.csv', required: false },
    { name: 'cons_comments.csv', required: false },
  ],
  parse: (files) => parseOfacCsv('ofac-consolidated', files),
};
