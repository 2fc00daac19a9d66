import { DEFAULT_MATCHER_CONFIG, decide, type MatcherConfig } from './config';
import { joinKeys, lookupKey } from './arabic';
import { translateOrganisationWords } from './arabic-glossary';
import { countryCode } from './countries';
import { normalizeName, variantKey, type EntityKind, type NameToken, type NormalizedName } from './normalize';
import { scoreNames } from './score';
import { tokenSimilarity } from './similarity';
import type { Adjustment, Hit, ListEntry, ScreeningQuery } from './types';

interface IndexedName {
  entry: number;
  name: string;
  type: string;
  norm: NormalizedName;
}

export interface ScreenOptions {
  /** Return hits scoring at least this (default: the review threshold). */
  minScore?: number;
  /** Hits per query at most (default from config). */
  limit?: number;
  /** Score every name instead of using the index (the benchmark's baseline). */
  bruteForce?: boolean;
}

export interface IndexStats {
  entries: number;
  names: number;
  vocabulary: number;
}

const PARTICLE_WEIGHT = 0.25;

const trigrams = (t: string): string[] => {
  const s = `^${t}$`;
  const out: string[] = [];
  for (let i = 0; i + 3 <= s.length; i++) out.push(s.slice(i, i + 3));
  return out;
};

function push<K>(m: Map<K, number[]>, k: K, v: number): void {
  const a = m.get(k);
  if (a) {
    if (a[a.length - 1] !== v) a.push(v);
  } else m.set(k, [v]);
}

const yearOf = (d: string | undefined): number | undefined => {
  const m = /^(\d{4})/.exec((d ?? '').trim());
  return m ? Number(m[1]) : undefined;
};

/**
 * An in-memory screening index over list entries. Candidate names come from an inverted index
 * on name tokens: each query token is expanded to the similar vocabulary tokens (shared
 * trigrams, phonetic codes, spelling-variant and consonant-skeleton keys), and only names
 * carrying enough of the query's token weight are scored in full.
 */
export class ScreeningIndex {
  readonly entries: ListEntry[];
  private readonly names: IndexedName[] = [];
  private readonly vocab: NameToken[] = [];
  private readonly vocabId = new Map<string, number>();
  /** vocab id -> names containing it */
  private readonly postings: number[][] = [];
  private readonly byTrigram = new Map<string, number[]>();
  private readonly byKey = new Map<string, number[]>();
  /** Joined phonetic key of 2-3 adjacent tokens -> names ("hidayat ullah" for a glued query token). */
  private readonly compound = new Map<string, number[]>();
  private readonly transliterate: boolean;
  private readonly similarCache = new Map<string, Array<[number, number]>>();
  private readonly acc: Float64Array;
  private readonly seen: Int32Array;
  private stamp = 0;
  private readonly tokSeen: Int32Array;
  private readonly tokBest: Float64Array;
  private readonly tokTouched: number[] = [];
  private tokStamp = 0;

  constructor(
    entries: ListEntry[],
    readonly config: MatcherConfig = DEFAULT_MATCHER_CONFIG,
  ) {
    this.entries = entries;
    this.transliterate = config.transliterate ?? true;
    entries.forEach((e, ei) => {
      const seenNames = new Set<string>();
      const all = [{ name: e.primaryName, type: 'primary' }, ...e.aliases];
      for (const n of all) {
        const norm = normalizeName(n.name, e.kind, { transliterate: this.transliterate });
        const key = norm.tokens.map((t) => t.text).join(' ');
        if (!key || seenNames.has(key)) continue;
        seenNames.add(key);
        const ni = this.names.length;
        this.names.push({ entry: ei, name: n.name, type: n.type, norm });
        for (const t of norm.tokens) {
          let id = this.vocabId.get(t.text);
          if (id === undefined) {
            id = this.vocab.length;
            this.vocabId.set(t.text, id);
            this.vocab.push(t);
            this.postings.push([]);
            if (t.text.length > 1) {
              for (const g of trigrams(t.text)) push(this.byTrigram, g, id);
              push(this.byKey, `v:${t.variant}`, id);
              for (const p of t.phonetic) push(this.byKey, `p:${p}`, id);
              if (lookupKey(t.skeleton).length >= 2) push(this.byKey, `s:${lookupKey(t.skeleton)}`, id);
            }
          }
          const post = this.postings[id]!;
          if (post[post.length - 1] !== ni) post.push(ni);
        }
        if (this.transliterate)
          for (const k of adjacentKeys(norm.tokens)) push(this.compound, lookupKey(k.key), ni);
      }
    });
    this.acc = new Float64Array(this.names.length);
    this.seen = new Int32Array(this.names.length);
    this.tokSeen = new Int32Array(this.names.length);
    this.tokBest = new Float64Array(this.names.length);
  }

  stats(): IndexStats {
    return { entries: this.entries.length, names: this.names.length, vocabulary: this.vocab.length };
  }

  /** Vocabulary tokens similar to `q` (with their similarity), via trigram and key lookups. */
  private similarTokens(q: NameToken): Array<[number, number]> {
    const cached = this.similarCache.get(q.text);
    if (cached) return cached;
    const minSim = this.config.scorer.minPairSimilarity;
    const counts = new Map<number, number>();
    for (const text of q.altText ? [q.text, q.altText] : [q.text]) {
      const exact = this.vocabId.get(text);
      if (exact !== undefined) counts.set(exact, 99);
    }
    if (q.text.length > 1) {
      const grams = trigrams(q.text);
      const need = grams.length >= 5 ? 2 : 1;
      for (const g of grams)
        for (const id of this.byTrigram.get(g) ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
      for (const [id, c] of counts) if (c < need) counts.delete(id);
      const keys = [`v:${q.variant}`, ...q.phonetic.map((p) => `p:${p}`)];
      if (q.altText) keys.push(`v:${variantKey(q.altText)}`);
      for (const k of q.abjad ? [q.skeleton, ...q.skeletonAlts] : [])
        if (lookupKey(k).length >= 2) keys.push(`s:${lookupKey(k)}`);
      for (const k of keys) for (const id of this.byKey.get(k) ?? []) counts.set(id, 99);
    } else {
      // An initial: every vocabulary token starting with that letter would be too many; initials only confirm.
    }
    const out: Array<[number, number]> = [];
    for (const id of counts.keys()) {
      const s = tokenSimilarity(q, this.vocab[id]!).score;
      if (s >= minSim) out.push([id, s]);
    }
    if (this.similarCache.size > 50_000) this.similarCache.clear();
    this.similarCache.set(q.text, out);
    return out;
  }

  /** Candidate name indices for a normalised query. */
  private candidates(q: NormalizedName): number[] {
    const stamp = ++this.stamp;
    const touched: number[] = [];
    let total = 0;
    const steep = this.config.scorer.steepness;
    // Particles ("al", "bin", "de") are in too many names to select any; they still count in the full score.
    const content = q.tokens.filter((t) => t.weight > PARTICLE_WEIGHT);
    for (const qt of content.length > 0 ? content : q.tokens) {
      total += qt.weight;
      if (qt.text.length === 1) continue;
      // Best contribution of this query token per name, in stamped scratch arrays (no allocation).
      const tokStamp = ++this.tokStamp;
      const tokTouched = this.tokTouched;
      tokTouched.length = 0;
      for (const [id, s] of this.similarTokens(qt)) {
        const c = Math.max(0.35, 1 - steep * (1 - s));
        for (const ni of this.postings[id]!) {
          if (this.tokSeen[ni] !== tokStamp) {
            this.tokSeen[ni] = tokStamp;
            this.tokBest[ni] = c;
            tokTouched.push(ni);
          } else if (this.tokBest[ni]! < c) this.tokBest[ni] = c;
        }
      }
      for (const ni of tokTouched) {
        if (this.seen[ni] !== stamp) {
          this.seen[ni] = stamp;
          this.acc[ni] = 0;
          touched.push(ni);
        }
        this.acc[ni]! += qt.weight * this.tokBest[ni]!;
      }
    }
    if (this.transliterate && q.tokens.some((t) => t.abjad)) this.crossScriptCredit(q, stamp, touched);
    if (total === 0) return [];
    // A name can reach the review threshold only when it covers enough of the query's weight:
    // more when the query is the shorter name (its unmatched tokens cost full weight).
    const out: number[] = [];
    for (const ni of touched) {
      const shorter = this.names[ni]!.norm.tokens.length < q.tokens.length;
      if (this.acc[ni]! >= total * (shorter ? 0.2 : 0.45)) out.push(ni);
    }
    return out;
  }

  /**
   * Candidates an abjad query reaches only through glued name parts: a query token whose key is
   * the joined key of adjacent list tokens ("abdalrhmn" / "Abdul Rahman"), or adjacent query
   * tokens whose joined key is one list token's ("hdayt allah" / "Hidayatullah").
   */
  private crossScriptCredit(q: NormalizedName, stamp: number, touched: number[]): void {
    const credit = (ni: number, w: number) => {
      if (this.seen[ni] !== stamp) {
        this.seen[ni] = stamp;
        this.acc[ni] = 0;
        touched.push(ni);
      }
      this.acc[ni]! += w;
    };
    for (const t of q.tokens)
      for (const k of t.abjad ? [t.skeleton, ...t.skeletonAlts] : [])
        if (lookupKey(k).length >= 3)
          for (const ni of this.compound.get(lookupKey(k)) ?? []) credit(ni, t.weight);
    for (const k of adjacentKeys(q.tokens))
      for (const id of this.byKey.get(`s:${lookupKey(k.key)}`) ?? [])
        for (const ni of this.postings[id]!) credit(ni, k.weight);
  }

  /** Screens one query; hits sorted by score, one per list entry (its best-matching name). */
  screen(query: ScreeningQuery, opts: ScreenOptions = {}): Hit[] {
    const kind: EntityKind = query.kind ?? 'unknown';
    const q = normalizeName(query.name, kind, { transliterate: this.transliterate });
    if (q.tokens.length === 0) return [];
    // An Arabic-script organisation name is also screened in translation (lists translate them).
    const forms = [q];
    const translated =
      this.transliterate && kind !== 'person' && q.tokens.some((t) => t.abjad)
        ? translateOrganisationWords(query.name)
        : undefined;
    if (translated) {
      const t = normalizeName(translated, kind, { transliterate: true });
      t.romanizations = [...q.romanizations, `translated: ${t.tokens.map((x) => x.text).join(' ')}`];
      if (t.tokens.length > 0) forms.push(t);
    }
    const minScore = opts.minScore ?? this.config.thresholds.review;
    const limit = opts.limit ?? this.config.maxHits;
    const best = new Map<
      number,
      { q: NormalizedName; ni: number; score: number; nameScore: number; adjustments: Adjustment[] }
    >();
    const qYear = yearOf(query.dob);
    const qCountry = countryCode(query.country);
    for (const form of forms) {
      const pool = opts.bruteForce ? this.names.map((_, i) => i) : this.candidates(form);
      for (const ni of pool) {
        const n = this.names[ni]!;
        const ns = scoreNames(form, n.norm, this.config.scorer, false).score;
        // Adjustments are bounded, so names far below the threshold can be skipped early.
        if (ns + 0.05 < minScore) continue;
        const adjustments = this.adjust(this.entries[n.entry]!, kind, qYear, qCountry);
        const score = Math.min(1, Math.max(0, ns + adjustments.reduce((a, x) => a + x.delta, 0)));
        if (score < minScore) continue;
        const prev = best.get(n.entry);
        if (!prev || score > prev.score)
          best.set(n.entry, { q: form, ni, score, nameScore: ns, adjustments });
      }
    }
    const ranked = [...best.values()].sort((a, b) => b.score - a.score || a.ni - b.ni).slice(0, limit);
    return ranked.map((r) => this.toHit(r.q, r.ni, r.nameScore, r.score, r.adjustments));
  }

  private adjust(
    e: ListEntry,
    kind: EntityKind,
    qYear: number | undefined,
    qCountry: string | undefined,
  ): Adjustment[] {
    const a = this.config.adjustments;
    const out: Adjustment[] = [];
    if (qYear !== undefined && e.birthDates.length > 0) {
      const years = e.birthDates.map(yearOf).filter((y): y is number => y !== undefined);
      if (years.length > 0) {
        const diff = Math.min(...years.map((y) => Math.abs(y - qYear)));
        if (diff <= a.dobToleranceYears)
          out.push({
            factor: 'dob',
            delta: a.dobMatch,
            detail: `birth year ${qYear} matches ${e.birthDates.join(', ')}`,
          });
        else
          out.push({
            factor: 'dob',
            delta: a.dobMismatch,
            detail: `birth year ${qYear} differs from ${e.birthDates.join(', ')}`,
          });
      }
    }
    if (qCountry && e.countries.length > 0) {
      if (e.countries.includes(qCountry))
        out.push({
          factor: 'country',
          delta: a.countryMatch,
          detail: `country ${qCountry} is among ${e.countries.join(', ')}`,
        });
      else
        out.push({
          factor: 'country',
          delta: a.countryMismatch,
          detail: `country ${qCountry} is not among ${e.countries.join(', ')}`,
        });
    }
    if (kind !== 'unknown' && e.kind !== kind && !(kind === 'organization' && e.kind !== 'person')) {
      out.push({
        factor: 'kind',
        delta: a.kindMismatch,
        detail: `query is a ${kind}, the entry a ${e.kind}`,
      });
    }
    return out;
  }

  private toHit(
    q: NormalizedName,
    ni: number,
    nameScore: number,
    score: number,
    adjustments: Adjustment[],
  ): Hit {
    const n = this.names[ni]!;
    const e = this.entries[n.entry]!;
    const detail = scoreNames(q, n.norm, this.config.scorer, true);
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return {
      source: e.source,
      entryId: e.entryId,
      matchedName: n.name,
      score: r(score),
      decision: decide(score, this.config.thresholds),
      explanation: {
        entry: { source: e.source, entryId: e.entryId, primaryName: e.primaryName, kind: e.kind },
        matchedName: n.name,
        matchedNameType: n.type,
        scripts: { query: q.scripts, candidate: n.norm.scripts },
        queryRomanizations: q.romanizations,
        candidateRomanizations: n.norm.romanizations,
        normalizedQuery: q.tokens.map((t) => t.text),
        normalizedCandidate: n.norm.tokens.map((t) => t.text),
        removedWords: [...q.removed, ...n.norm.removed],
        tokenPairs: detail.pairs,
        unmatchedQuery: detail.unmatchedQuery,
        unmatchedCandidate: detail.unmatchedCandidate,
        nameScore: r(nameScore),
        adjustments,
        score: r(score),
      },
    };
  }
}

/** Joined keys of 2 and 3 adjacent tokens (at least 3 key letters), with the tokens' weight. */
function adjacentKeys(tokens: NameToken[]): Array<{ key: string; weight: number }> {
  const out: Array<{ key: string; weight: number }> = [];
  for (let i = 0; i < tokens.length; i++)
    for (let n = 2; n <= 3 && i + n <= tokens.length; n++) {
      const parts = tokens.slice(i, i + n);
      const key = joinKeys(parts.map((t) => t.skeleton));
      if (lookupKey(key).length >= 3) out.push({ key, weight: parts.reduce((a, t) => a + t.weight, 0) });
    }
  return out;
}
