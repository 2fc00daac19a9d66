/**
 * Cross-script figures for `npm run bench -- screening`: original-script names of the UN list
 * screened against the UN list with its original-script names removed (a Latin-only list, as
 * OFAC's is), split by DATAID parity (even = tuning half, odd = held-out half, fixed before any
 * tuning); and the cross_script_pairs set (pair score >= its expected minimum).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import { DEFAULT_MATCHER_CONFIG, type MatcherConfig } from '../core/screening/config';
import { ScreeningIndex } from '../core/screening/matcher';
import { normalizeName } from '../core/screening/normalize';
import { scoreNames } from '../core/screening/score';
import { scriptsOf } from '../core/screening/script';
import type { ListEntry } from '../core/screening/types';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');

/** One original-script name of the UN list with its entry's reference number and DATAID. */
export interface OriginalScriptName {
  dataId: number;
  entryId: string;
  name: string;
  script: string;
}

type Node = Record<string, unknown>;
const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : '');

/** NAME_ORIGINAL_SCRIPT of every UN individual and entity, read from the fixture XML. */
export function unOriginalScriptNames(): OriginalScriptName[] {
  const xml = readFileSync(
    path.join(FIXTURES, 'sanctions', 'un-consolidated', 'UN_consolidated.xml'),
    'utf8',
  );
  const doc = new XMLParser({
    parseTagValue: false,
    isArray: (n) => n === 'INDIVIDUAL' || n === 'ENTITY',
  }).parse(xml) as {
    CONSOLIDATED_LIST: { INDIVIDUALS?: { INDIVIDUAL?: Node[] }; ENTITIES?: { ENTITY?: Node[] } };
  };
  const root = doc.CONSOLIDATED_LIST;
  const out: OriginalScriptName[] = [];
  for (const n of [...(root.INDIVIDUALS?.INDIVIDUAL ?? []), ...(root.ENTITIES?.ENTITY ?? [])]) {
    const name = text(n.NAME_ORIGINAL_SCRIPT);
    if (!name) continue;
    out.push({
      dataId: Number(text(n.DATAID)),
      entryId: text(n.REFERENCE_NUMBER) || text(n.DATAID),
      name,
      script: scriptsOf(name)[0] ?? 'other',
    });
  }
  return out;
}

/** The UN entries as a Latin-only list: original-script aliases removed. */
export const latinOnly = (entries: ListEntry[]): ListEntry[] =>
  entries
    .filter((e) => e.source === 'un')
    .map((e) => ({ ...e, aliases: e.aliases.filter((a) => a.type !== 'original-script') }));

export interface RecallFigure {
  found: number;
  total: number;
  misses: string[];
}

/** Recall of each script's original names against the Latin-only UN list, per DATAID half. */
export function unCrossScriptRecall(
  entries: ListEntry[],
  config: MatcherConfig = DEFAULT_MATCHER_CONFIG,
): Record<string, { even: RecallFigure; odd: RecallFigure }> {
  const index = new ScreeningIndex(latinOnly(entries), config);
  const out: Record<string, { even: RecallFigure; odd: RecallFigure }> = {};
  for (const o of unOriginalScriptNames()) {
    const fig = (out[o.script] ??= {
      even: { found: 0, total: 0, misses: [] },
      odd: { found: 0, total: 0, misses: [] },
    })[o.dataId % 2 === 0 ? 'even' : 'odd'];
    fig.total++;
    const hits = index.screen({ name: o.name }, { minScore: config.thresholds.review });
    if (hits.some((h) => h.entryId === o.entryId)) fig.found++;
    else {
      const own = entries.find((e) => e.source === 'un' && e.entryId === o.entryId);
      fig.misses.push(
        `${o.name} [${normalizeName(o.name).romanizations.join(' | ')}] -> ${own?.primaryName ?? '?'} (top: ${hits[0]?.matchedName ?? '-'} ${hits[0]?.score ?? ''})`,
      );
    }
  }
  return out;
}

/** cross_script_pairs.csv: pairs whose score reaches the row's expected minimum, per script. */
export function crossScriptPairs(): Record<string, { found: number; total: number; rows: string[] }> {
  const rows = parse(readFileSync(path.join(FIXTURES, 'name-matching', 'cross_script_pairs.csv')), {
    columns: true,
    skip_empty_lines: true,
  }) as Array<Record<string, string>>;
  const out: Record<string, { found: number; total: number; rows: string[] }> = {};
  for (const r of rows) {
    const q = r.query ?? '';
    const script = scriptsOf(q)[0] ?? 'other';
    const s = scoreNames(normalizeName(q), normalizeName(r.expected_match ?? '')).score;
    const fig = (out[script] ??= { found: 0, total: 0, rows: [] });
    fig.total++;
    const ok = s >= Number(r.min_score);
    if (ok) fig.found++;
    fig.rows.push(`${ok ? 'ok  ' : 'MISS'} ${q} ~ ${r.expected_match}: ${s.toFixed(3)} (min ${r.min_score})`);
  }
  return out;
}
