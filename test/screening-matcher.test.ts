import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, MATCHER_VERSION } from '../core/screening/config';
import { ScreeningIndex } from '../core/screening/matcher';
import { normalizeName, validateName } from '../core/screening/normalize';
import { scoreNames } from '../core/screening/score';
import { jaroWinkler } from '../core/screening/similarity';
import { parseOfacCsv, parseUnXml } from '../core/screening/sources';
import type { ListEntry } from '../core/screening/types';
import { loadLocalList } from '../providers/sanctions-files';

const FIX = path.join(__dirname, 'fixtures');
const rows = (f: string) =>
  parse(readFileSync(path.join(FIX, 'name-matching', f)), { columns: true }) as Array<Record<string, string>>;
const score = (a: string, b: string) => scoreNames(normalizeName(a), normalizeName(b)).score;

let entries: ListEntry[];
let index: ScreeningIndex;

beforeAll(async () => {
  const dir = path.join(FIX, 'sanctions');
  const lists = await Promise.all(
    ['ofac-sdn-2021', 'ofac-non-sdn', 'un-consolidated'].map((d) => loadLocalList(path.join(dir, d))),
  );
  entries = lists.flatMap((l) => l.parsed.entries);
  index = new ScreeningIndex(entries);
});

describe('normalisation', () => {
  it('folds case, diacritics, punctuation, honorifics, legal forms and "SURNAME, Given" order', () => {
    expect(normalizeName('Mr. Recep Tayyip Erdoğan').tokens.map((t) => t.text)).toEqual([
      'recep',
      'tayyip',
      'erdogan',
    ]);
    expect(normalizeName('PUTIN, Vladimir Vladimirovich', 'person').tokens.map((t) => t.text)).toEqual([
      'vladimir',
      'vladimirovich',
      'putin',
    ]);
    expect(normalizeName('HSBC Holdings p.l.c.', 'organization').tokens.map((t) => t.text)).toEqual(['hsbc']);
    expect(
      normalizeName('JSC TACTICAL MISSILES CORPORATION', 'organization').tokens.map((t) => t.text),
    ).toEqual(['tactical', 'missiles']);
    expect(normalizeName('Ig0r Sech1n').tokens.map((t) => t.text)).toEqual(['igor', 'sechin']);
  });

  it('transliterates non-Latin scripts', () => {
    expect(normalizeName('Владимир Путин').tokens.map((t) => t.text)).toEqual(['vladimir', 'putin']);
    expect(normalizeName('习近平').tokens.map((t) => t.text)).toEqual(['xi', 'jin', 'ping']);
    expect(score('Владимир Путин', 'Vladimir Putin')).toBeGreaterThanOrEqual(0.95);
    expect(score('习近平', 'Xi Jinping')).toBeGreaterThanOrEqual(DEFAULT_THRESHOLDS.review);
  });

  it('rejects empty, oversized and control-character names', () => {
    expect(validateName('')).toMatch(/empty/);
    expect(validateName('   ')).toMatch(/empty/);
    expect(validateName('x'.repeat(10_000))).toMatch(/limit/);
    expect(validateName('John\u0000Doe')).toMatch(/control/);
    expect(validateName('Иван Smith 李')).toBeNull();
  });
});

describe('scoring', () => {
  it('Jaro-Winkler matches the textbook values', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
  });

  it('is token-order independent and tolerates missing middle names and initials', () => {
    expect(score('Vladimir Putin', 'PUTIN, Vladimir')).toBe(1);
    expect(score('MOHAMMED MIR WALI RAHIM', 'MOHAMMED QASIM MIR WALI KHUDAI RAHIM')).toBeGreaterThan(
      DEFAULT_THRESHOLDS.review,
    );
    expect(score('A. Khamenei', 'Ali Khamenei')).toBeGreaterThan(DEFAULT_THRESHOLDS.review);
    expect(score('Jan Daniel Bothma', 'JanDaniel Bothma')).toBeGreaterThan(DEFAULT_THRESHOLDS.review);
  });

  it('separates different people sharing a surname or a given name', () => {
    expect(score('Barack Obama', 'Michelle Obama')).toBeLessThan(DEFAULT_THRESHOLDS.review);
    expect(score('John Brown', 'John')).toBeLessThan(DEFAULT_THRESHOLDS.review);
    expect(score('AHMAD BIN HASAN AL-UBAIDI', 'HASAN BIN AHMAD AL-UBAIDI')).toBeLessThan(1);
  });

  it('reaches F1 >= 0.85 on the labelled pairs at the configured threshold', () => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const r of rows('name_pairs_labelled.csv')) {
      const kind = r.schema === 'Person' ? 'person' : r.schema === 'Vessel' ? 'vessel' : 'organization';
      const s = scoreNames(normalizeName(r.name1!, kind), normalizeName(r.name2!, kind)).score;
      const y = r.is_match === 'true';
      if (s >= DEFAULT_THRESHOLDS.review) {
        if (y) tp++;
        else fp++;
      } else if (y) fn++;
    }
    const p = tp / (tp + fp);
    const rc = tp / (tp + fn);
    expect((2 * p * rc) / (p + rc)).toBeGreaterThanOrEqual(0.85);
  });

  it('scores cross-script pairs of the reference set', () => {
    const failures = rows('cross_script_pairs.csv').filter(
      (r) => /[\u0400-\u04FF]/.test(r.query!) && score(r.query!, r.expected_match!) < Number(r.min_score),
    );
    expect(failures).toEqual([]);
  });
});

describe('list parsers', () => {
  it('parses the OFAC SDN legacy CSV with aliases, birth dates and countries', () => {
    const sdn = entries.filter((e) => e.source === 'ofac-sdn');
    expect(sdn).toHaveLength(8976);
    expect(sdn.reduce((a, e) => a + e.aliases.length, 0)).toBe(11910);
    const bnc = sdn.find((e) => e.entryId === '306')!;
    expect(bnc.primaryName).toBe('BANCO NACIONAL DE CUBA');
    expect(bnc.aliases).toContainEqual({ name: 'NATIONAL BANK OF CUBA', type: 'aka' });
    expect(bnc.countries).toContain('CH');
    const people = sdn.filter((e) => e.kind === 'person');
    expect(people.filter((e) => e.birthDates.length > 0).length / people.length).toBeGreaterThan(0.8);
  });

  it('parses the consolidated list with the same parser and the UN XML', () => {
    expect(entries.filter((e) => e.source === 'ofac-consolidated')).toHaveLength(442);
    const un = entries.filter((e) => e.source === 'un');
    expect(un.filter((e) => e.kind === 'person')).toHaveLength(730);
    expect(un.filter((e) => e.kind === 'organization')).toHaveLength(273);
    const adf = un.find((e) => e.entryId === 'CDe.001')!;
    expect(adf.aliases.map((a) => a.name)).toContain('Allied Democratic Forces');
  });

  it('keeps loading when rows are broken, reporting each', () => {
    const sdn = [
      '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
      'not-a-number,"X",-0-',
      '',
      '37,"",-0-',
      '173,"ANGLO-CARIBBEAN CO., LTD.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
    ].join('\n');
    const r = parseOfacCsv('ofac-sdn', {
      'sdn.csv': sdn,
      'alt.csv': '999,1,"aka","GHOST",-0-\n36,12,"aka","AERO-CARIBBEAN",-0- ',
    });
    expect(r.entries.map((e) => e.entryId)).toEqual(['36', '173']);
    expect(r.issues.length).toBe(3);
    expect(r.entries[0]!.aliases).toEqual([{ name: 'AERO-CARIBBEAN', type: 'aka' }]);
    const bad = parseUnXml(
      '<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>',
    );
    expect(bad.entries).toEqual([]);
    expect(bad.issues[0]!.message).toMatch(/without a reference number or a name/);
  });
});

describe('index', () => {
  it('finds a listed person from a typo, with an explanation', () => {
    const hits = index.screen({ name: 'ERIK BADEGE' });
    // Listed by the UN and by OFAC: both lists answer.
    expect(hits.map((x) => x.source).sort()).toEqual(['ofac-sdn', 'un']);
    const h = hits.find((x) => x.source === 'un')!;
    expect(h).toMatchObject({ entryId: 'CDi.001', matchedName: 'ERIC BADEGE' });
    expect(h.score).toBeGreaterThanOrEqual(0);
    expect(h.score).toBeLessThanOrEqual(1);
    expect(['block', 'review']).toContain(h.decision);
    expect(h.explanation.tokenPairs).toContainEqual(
      expect.objectContaining({ query: 'erik', candidate: 'eric' }),
    );
    expect(h.explanation.entry.primaryName).toBe('ERIC BADEGE');
  });

  it('matches aliases and applies soft birth-date and country adjustments', () => {
    const alias = index.screen({ name: 'National Bank of Cuba' });
    expect(alias[0]).toMatchObject({ entryId: '306', matchedName: 'NATIONAL BANK OF CUBA' });
    const un = (q: Parameters<typeof index.screen>[0]) => index.screen(q).find((h) => h.source === 'un')!;
    const plain = un({ name: 'ERIC BADEGE' });
    const dob = un({ name: 'ERIC BADEGE', dob: '1971-05-01', country: 'CD' });
    const wrongDob = un({ name: 'ERIC BADEGE', dob: '1990' });
    expect(dob.score).toBeGreaterThanOrEqual(plain.score);
    expect(dob.explanation.adjustments.map((a) => a.factor)).toEqual(['dob', 'country']);
    expect(wrongDob.score).toBeLessThan(plain.score);
    expect(wrongDob.score).toBeGreaterThan(0.8);
  });

  it('returns the same hits as a brute-force scan on the positives and negatives', () => {
    const qs = [
      ...rows('positives_un_with_typos.csv').slice(0, 16),
      ...rows('negatives_synthetic_global.csv').slice(0, 8),
    ];
    for (const r of qs) {
      const q = { name: r.full_name!, dob: r.date_of_birth, country: r.nationality };
      const a = index.screen(q).map((h) => `${h.source}:${h.entryId}:${h.score}`);
      const b = index.screen(q, { bruteForce: true }).map((h) => `${h.source}:${h.entryId}:${h.score}`);
      expect(a).toEqual(b);
    }
  });

  it('has a matcher version', () => {
    expect(MATCHER_VERSION).toMatch(/^lf-match-/);
  });
});
