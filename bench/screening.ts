/**
 * Screening accuracy and speed: `npm run bench -- screening [--size N]`.
 *
 * Data: test/fixtures/name-matching (labelled sets) and test/fixtures/sanctions (lists); see
 * the fixtures' README for provenance. One matcher configuration (core/screening/config.ts)
 * is used for every figure; the review threshold was chosen on the even rows of
 * name_pairs_labelled.csv and the odd rows are reported as the check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse/sync';
import { DEFAULT_MATCHER_CONFIG, MATCHER_VERSION } from '../core/screening/config';
import { ScreeningIndex } from '../core/screening/matcher';
import { normalizeName, type EntityKind } from '../core/screening/normalize';
import { scoreNames } from '../core/screening/score';
import type { ListEntry, ScreeningQuery } from '../core/screening/types';
import { loadLocalList } from '../providers/sanctions-files';
import { crossScriptPairs, unCrossScriptRecall, unOriginalScriptNames } from './screening-cross-script';

const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
const NM = path.join(FIXTURES, 'name-matching');

type Row = Record<string, string>;
const csv = (file: string): Row[] =>
  parse(readFileSync(path.join(NM, file)), { columns: true, skip_empty_lines: true }) as Row[];

const schemaKind = (s: string | undefined): EntityKind =>
  s === 'Person'
    ? 'person'
    : s === 'Vessel'
      ? 'vessel'
      : s && ['Company', 'Organization', 'LegalEntity'].includes(s)
        ? 'organization'
        : 'unknown';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const f3 = (x: number) => x.toFixed(3);

export interface PairFigures {
  threshold: number;
  bestEvenThreshold: number;
  plateauThreshold: number;
  even: { p: number; r: number; f1: number };
  odd: { p: number; r: number; f1: number };
  all: { p: number; r: number; f1: number };
}

function prf(items: Array<{ y: boolean; s: number }>, t: number) {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const x of items) {
    const p = x.s >= t;
    if (p && x.y) tp++;
    else if (p && !x.y) fp++;
    else if (!p && x.y) fn++;
  }
  const precision = tp / Math.max(1, tp + fp);
  const recall = tp / Math.max(1, tp + fn);
  return {
    p: precision,
    r: recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
  };
}

/** F1 on the labelled pairs at the configured review threshold; even rows = tuning split, odd rows = check. */
export function pairFigures(): PairFigures {
  const rows = csv('name_pairs_labelled.csv');
  const scored = rows.map((r, i) => {
    const k = schemaKind(r.schema);
    return {
      i,
      y: r.is_match === 'true',
      s: scoreNames(normalizeName(r.name1 ?? '', k), normalizeName(r.name2 ?? '', k)).score,
    };
  });
  const even = scored.filter((x) => x.i % 2 === 0);
  const odd = scored.filter((x) => x.i % 2 === 1);
  let best = { t: 0, f: -1 };
  const curve: Array<{ t: number; f: number }> = [];
  for (let t = 0.5; t <= 0.99; t += 0.01) {
    const f = prf(even, t).f1;
    curve.push({ t: Math.round(t * 100) / 100, f });
    if (f > best.f) best = { t: Math.round(t * 100) / 100, f };
  }
  // The rule: the highest threshold whose even-split F1 is within 0.002 of the best (the top
  // of the F1 plateau; a higher threshold gives fewer false hits).
  const plateau = Math.max(...curve.filter((c) => c.f >= best.f - 0.002).map((c) => c.t));
  const t = DEFAULT_MATCHER_CONFIG.thresholds.review;
  return {
    threshold: t,
    bestEvenThreshold: best.t,
    plateauThreshold: plateau,
    even: prf(even, t),
    odd: prf(odd, t),
    all: prf(scored, t),
  };
}

/** Ranks with ties averaged (for Spearman). */
function ranks(v: number[]): number[] {
  const idx = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(v.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) out[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

function spearman(a: number[], b: number[]): number | undefined {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const ma = ra.reduce((x, y) => x + y, 0) / n;
  const mb = rb.reduce((x, y) => x + y, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da === 0 || db === 0 ? undefined : num / Math.sqrt(da * db);
}

/** Spearman of our pair scores with the OFAC portal's, per query, and top-1 agreement. */
export function portalFigures() {
  const rows = csv('ofac_portal_scores.csv');
  const byQuery = new Map<string, Array<{ result: string; portal: number; ours: number }>>();
  for (const r of rows) {
    const q = r.query_name ?? '';
    const ours = scoreNames(normalizeName(q), normalizeName(r.result_name ?? '')).score;
    const list = byQuery.get(q) ?? [];
    list.push({ result: r.result_name ?? '', portal: Number(r.ofac_score), ours });
    byQuery.set(q, list);
  }
  const rhos: number[] = [];
  let top1 = 0;
  let allRows: Array<[number, number]> = [];
  for (const list of byQuery.values()) {
    allRows = allRows.concat(list.map((x) => [x.ours, x.portal]));
    const rho =
      list.length >= 3
        ? spearman(
            list.map((x) => x.ours),
            list.map((x) => x.portal),
          )
        : undefined;
    if (rho !== undefined) rhos.push(rho);
    const maxPortal = Math.max(...list.map((x) => x.portal));
    const ourTop = list.reduce((a, b) => (b.ours > a.ours ? b : a));
    if (ourTop.portal === maxPortal) top1++;
  }
  const pooled = spearman(
    allRows.map((x) => x[0]),
    allRows.map((x) => x[1]),
  );
  return {
    queries: byQuery.size,
    rhoQueries: rhos.length,
    meanSpearman: rhos.reduce((a, b) => a + b, 0) / Math.max(1, rhos.length),
    pooledSpearman: pooled ?? 0,
    top1: top1 / byQuery.size,
  };
}

/** The three fixture lists, parsed. */
export async function fixtureEntries(): Promise<ListEntry[]> {
  const dir = path.join(FIXTURES, 'sanctions');
  const lists = await Promise.all([
    loadLocalList(path.join(dir, 'ofac-sdn-2021')),
    loadLocalList(path.join(dir, 'ofac-non-sdn')),
    loadLocalList(path.join(dir, 'un-consolidated')),
  ]);
  return lists.flatMap((l) => l.parsed.entries);
}

const toQuery = (r: Row): ScreeningQuery => ({
  name: r.full_name ?? '',
  dob: r.date_of_birth || undefined,
  country: r.nationality || undefined,
});

const canon = (s: string) =>
  normalizeName(s)
    .tokens.map((t) => t.text)
    .join(' ');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function run(opts: { size?: number; smoke?: boolean } = {}): Promise<void> {
  const t0 = performance.now();
  console.log(
    `matcher ${MATCHER_VERSION}; thresholds review ${DEFAULT_MATCHER_CONFIG.thresholds.review}, block ${DEFAULT_MATCHER_CONFIG.thresholds.block}`,
  );

  const pairs = pairFigures();
  console.log(
    `\nname_pairs_labelled.csv (826 pairs) at review threshold ${pairs.threshold} (even split: best F1 at ${pairs.bestEvenThreshold}, top of the F1 plateau ${pairs.plateauThreshold})`,
  );
  for (const [k, v] of Object.entries({
    'even (tuning)': pairs.even,
    'odd (check)': pairs.odd,
    all: pairs.all,
  })) {
    console.log(`  ${k.padEnd(14)} P ${f3(v.p)}  R ${f3(v.r)}  F1 ${f3(v.f1)}`);
  }

  const portal = portalFigures();
  console.log(
    `\nofac_portal_scores.csv: ${portal.queries} queries; mean Spearman ${f3(portal.meanSpearman)} over ${portal.rhoQueries} queries with >= 3 results; pooled Spearman ${f3(portal.pooledSpearman)}; top-1 agreement ${pct(portal.top1)}`,
  );

  const entries = await fixtureEntries();
  const tb = performance.now();
  const index = new ScreeningIndex(entries);
  const st = index.stats();
  console.log(
    `\nindex: ${st.entries} entries, ${st.names} names, ${st.vocabulary} distinct tokens, built in ${(performance.now() - tb).toFixed(0)} ms`,
  );
  const review = DEFAULT_MATCHER_CONFIG.thresholds.review;

  // Recall: typo'd UN names against the UN list; own entry = primary name equal to the clean name.
  const unIndex = new ScreeningIndex(entries.filter((e) => e.source === 'un'));
  const clean = csv('positives_un_clean.csv');
  const typos = csv('positives_un_with_typos.csv');
  const unByName = new Map<string, string[]>();
  for (const e of entries)
    if (e.source === 'un')
      unByName.set(canon(e.primaryName), [...(unByName.get(canon(e.primaryName)) ?? []), e.entryId]);
  const recallOf = (brute: boolean) => {
    let found = 0;
    let known = 0;
    const misses: string[] = [];
    typos.forEach((r, i) => {
      const own = unByName.get(canon(clean[i]?.full_name ?? ''));
      if (!own) return;
      known++;
      const hits = unIndex.screen(toQuery(r), { minScore: review, limit: 3, bruteForce: brute });
      if (hits.some((h) => own.includes(h.entryId))) found++;
      else
        misses.push(
          `${r.full_name} -> ${clean[i]?.full_name} (top: ${hits[0]?.matchedName ?? '-'} ${hits[0]?.score ?? ''})`,
        );
    });
    return { found, known, misses };
  };
  const rec = recallOf(false);
  const recBrute = recallOf(true);
  console.log(
    `\npositives_un_with_typos.csv vs UN list: recall ${pct(rec.found / rec.known)} (${rec.found}/${rec.known} in top 3 at >= ${review}); brute force ${pct(recBrute.found / recBrute.known)}`,
  );
  if (process.env.BENCH_VERBOSE) for (const m of rec.misses) console.log(`  miss: ${m}`);

  // False positives: synthetic global names against all lists.
  const negatives = csv('negatives_synthetic_global.csv');
  let fpQueries = 0;
  const fpExamples: string[] = [];
  for (const r of negatives) {
    const hits = index.screen(toQuery(r), { minScore: review, limit: 1 });
    if (hits.length > 0) {
      fpQueries++;
      if (fpExamples.length < 5)
        fpExamples.push(`${r.full_name} -> ${hits[0]!.matchedName} (${hits[0]!.score})`);
    }
  }
  console.log(
    `negatives_synthetic_global.csv vs all lists: false-positive rate ${pct(fpQueries / negatives.length)} (${fpQueries}/${negatives.length})`,
  );
  for (const x of fpExamples) console.log(`  e.g. ${x}`);

  // Speed: single-name latency and batch throughput, index vs brute force with the same scorer.
  const size = opts.smoke ? 40 : (opts.size ?? 400);
  const mix: ScreeningQuery[] = [];
  for (let i = 0; mix.length < size; i++) {
    const src = i % 2 === 0 ? typos : negatives;
    const r = src[Math.floor(i / 2) % src.length]!;
    mix.push(toQuery(r));
  }
  const latency = (brute: boolean, n: number) => {
    const times: number[] = [];
    const hitSets: string[] = [];
    for (const q of mix.slice(0, n)) {
      const s = performance.now();
      const hits = index.screen(q, { bruteForce: brute });
      times.push(performance.now() - s);
      hitSets.push(hits.map((h) => `${h.source}:${h.entryId}`).join(','));
    }
    times.sort((a, b) => a - b);
    return {
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      total: times.reduce((a, b) => a + b, 0),
      hitSets,
    };
  };
  const bruteN = Math.min(mix.length, opts.smoke ? 20 : 150);
  const fast = latency(false, mix.length);
  const slow = latency(true, bruteN);
  let same = 0;
  for (let i = 0; i < bruteN; i++) if (fast.hitSets[i] === slow.hitSets[i]) same++;
  const fastRate = (mix.length / fast.total) * 1000;
  const slowRate = (bruteN / slow.total) * 1000;
  console.log(
    `\nspeed against all lists (${st.names} names), ${mix.length} queries (half typo'd UN names, half synthetic negatives):`,
  );
  console.log(
    `  single name  index p50 ${f3(fast.p50)} ms  p99 ${f3(fast.p99)} ms | brute force p50 ${f3(slow.p50)} ms  p99 ${f3(slow.p99)} ms (${bruteN} queries) | p50 speed-up ${(slow.p50 / fast.p50).toFixed(1)}x`,
  );
  // Batch: a fresh index (empty token cache) screening the whole mix in one go.
  const batchIndex = new ScreeningIndex(entries);
  const bs = performance.now();
  for (const q of mix) batchIndex.screen(q);
  const batchRate = (mix.length / (performance.now() - bs)) * 1000;
  console.log(
    `  batch        index ${batchRate.toFixed(0)} names/s | brute force ${slowRate.toFixed(1)} names/s | speed-up ${(batchRate / slowRate).toFixed(1)}x (warm single-query rate ${fastRate.toFixed(0)} names/s)`,
  );
  console.log(
    `  same hits (above review) as brute force on ${same}/${bruteN} queries; recall index ${rec.found}/${rec.known} vs brute force ${recBrute.found}/${recBrute.known}`,
  );
  crossScriptReport(entries, opts);
  await ofacLatencyReport(mix, opts);
  console.log(`\ndone in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

const kn = (f: { found: number; total: number }) =>
  `${f.found}/${f.total} = ${f.total ? f3(f.found / f.total) : '-'}`;

/** UN original-script names vs the Latin-only UN list (DATAID halves), with and without transliteration; cross_script_pairs. */
function crossScriptReport(entries: ListEntry[], opts: { smoke?: boolean }): void {
  const review = DEFAULT_MATCHER_CONFIG.thresholds.review;
  console.log(
    `\ncross-script: UN NAME_ORIGINAL_SCRIPT names screened against the UN list without them (Latin only), found at >= ${review}; split by DATAID parity (even = tuning, odd = held out, fixed before tuning)`,
  );
  const on = unCrossScriptRecall(entries);
  const off = unCrossScriptRecall(entries, { ...DEFAULT_MATCHER_CONFIG, transliterate: false });
  for (const [script, v] of Object.entries(on)) {
    const o = off[script]!;
    const all = { found: v.even.found + v.odd.found, total: v.even.total + v.odd.total };
    console.log(
      `  ${script.padEnd(9)} held-out (odd) ${kn(v.odd)} | tuning (even) ${kn(v.even)} | all ${kn(all)} | without transliteration: odd ${kn(o.odd)}, even ${kn(o.even)}`,
    );
    if (process.env.BENCH_VERBOSE)
      for (const m of [...v.odd.misses, ...v.even.misses]) console.log(`    miss: ${m}`);
  }
  const pairs = crossScriptPairs();
  const total = Object.values(pairs).reduce(
    (a, p) => ({ found: a.found + p.found, total: a.total + p.total }),
    {
      found: 0,
      total: 0,
    },
  );
  console.log(
    `cross_script_pairs.csv: ${kn(total)} reach their expected minimum score; ${Object.entries(pairs)
      .map(([k, p]) => `${k} ${p.found}/${p.total}`)
      .join(', ')}`,
  );
  for (const p of Object.values(pairs))
    for (const r of p.rows) if (r.startsWith('MISS')) console.log(`  ${r}`);
  const cyr = on.cyrillic ?? { even: { found: 0, total: 0 }, odd: { found: 0, total: 0 } };
  const cyrAll = {
    found: cyr.even.found + cyr.odd.found + (pairs.cyrillic?.found ?? 0),
    total: cyr.even.total + cyr.odd.total + (pairs.cyrillic?.total ?? 0),
  };
  console.log(`Cyrillic judged on all UN Cyrillic names plus the Cyrillic pairs: ${kn(cyrAll)}`);
  if (opts.smoke) return;
}

/** Single-name latency on the full OFAC SDN list, transliteration on vs off, interleaved in one run. */
async function ofacLatencyReport(mix: ScreeningQuery[], opts: { smoke?: boolean }): Promise<void> {
  const sdn = (await loadLocalList(path.join(FIXTURES, 'sanctions', 'ofac-sdn-2021'))).parsed.entries;
  const on = new ScreeningIndex(sdn);
  const off = new ScreeningIndex(sdn, { ...DEFAULT_MATCHER_CONFIG, transliterate: false });
  const originals = unOriginalScriptNames().map((o) => ({ name: o.name }));
  const queries: ScreeningQuery[] = [];
  const n = opts.smoke ? 40 : 600;
  for (let i = 0; queries.length < n; i++) {
    queries.push(i % 3 === 2 ? originals[i % originals.length]! : mix[i % mix.length]!);
  }
  const times = { on: [] as number[], off: [] as number[] };
  for (const q of queries) {
    for (const [k, idx] of [
      ['on', on],
      ['off', off],
    ] as const) {
      const s = performance.now();
      idx.screen(q);
      times[k].push(performance.now() - s);
    }
  }
  for (const t of Object.values(times)) t.sort((a, b) => a - b);
  const p99 = { on: percentile(times.on, 99), off: percentile(times.off, 99) };
  console.log(
    `\nOFAC SDN (${sdn.length} entries), ${queries.length} single-name queries (1/3 Arabic-script UN names, 1/3 typo'd UN names, 1/3 negatives), interleaved:`,
  );
  console.log(
    `  transliteration on  p50 ${f3(percentile(times.on, 50))} ms  p99 ${f3(p99.on)} ms | off p50 ${f3(percentile(times.off, 50))} ms  p99 ${f3(p99.off)} ms | p99 ratio ${(p99.on / p99.off).toFixed(2)}x (target <= 2x)`,
  );
}

if (require.main === module) {
  run({ size: process.argv[2] ? Number(process.argv[2]) : undefined }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
