import { joinKeys, keyCore } from './arabic';
import type { NameToken, NormalizedName } from './normalize';
import { ABBREVIATION_SCORE, jaroWinkler, keySimilarity, tokenSimilarity, type PairKind } from './similarity';

/** Tunable constants of the name scorer (see README "Sanctions screening"). */
export interface ScorerParams {
  /** Token pairs below this similarity are not paired at all. */
  minPairSimilarity: number;
  /** Steepness: a pair of similarity s contributes max(0, 1 - steepness * (1 - s)). */
  steepness: number;
  /** Share of an unmatched token's weight added to the denominator, on the name with fewer tokens. */
  unmatchedShortPenalty: number;
  /** Same, on the name with more tokens (extra middle names, patronymics). */
  unmatchedLongPenalty: number;
  /** Added per unit of weight when both names keep unmatched tokens (a contradicting name part). */
  contradictionPenalty: number;
  /** Unmatched-token penalty on the longer name when both are organisations (an extra word usually names another company). */
  organizationLongPenalty: number;
  /** Unmatched-token penalty on the longer name when the shorter one is a single token ("John" vs "John Brown"). */
  singleTokenLongPenalty: number;
  /** Factor on a pair that swaps own and father's name around "bin". */
  patronymicSwapFactor: number;
}

export const DEFAULT_SCORER_PARAMS: ScorerParams = {
  minPairSimilarity: 0.7,
  steepness: 2.5,
  unmatchedShortPenalty: 1,
  unmatchedLongPenalty: 0.3,
  contradictionPenalty: 1.5,
  organizationLongPenalty: 1,
  patronymicSwapFactor: 0.5,
  singleTokenLongPenalty: 0.8,
};

export interface TokenPairExplanation {
  query: string;
  candidate: string;
  similarity: number;
  kind: PairKind;
}

export interface NameScore {
  score: number;
  pairs: TokenPairExplanation[];
  unmatchedQuery: string[];
  unmatchedCandidate: string[];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * Scores a query name against a candidate name in [0,1], independent of token order. Tokens
 * are paired greedily by similarity; tokens left over cost more on the shorter name (a query
 * token that matches nothing) than on the longer one (a missing middle name).
 */
export function scoreNames(
  q: NormalizedName,
  c: NormalizedName,
  p: ScorerParams = DEFAULT_SCORER_PARAMS,
  explain = true,
): NameScore {
  const qt = q.tokens;
  const ct = c.tokens;
  if (qt.length === 0 || ct.length === 0)
    return {
      score: 0,
      pairs: [],
      unmatchedQuery: qt.map((t) => t.text),
      unmatchedCandidate: ct.map((t) => t.text),
    };
  const cand: Array<{ i: number; j: number; s: number; kind: PairKind }> = [];
  for (let i = 0; i < qt.length; i++) {
    for (let j = 0; j < ct.length; j++) {
      const sim = tokenSimilarity(qt[i]!, ct[j]!);
      const a = qt[i]!.role;
      const b = ct[j]!.role;
      if (a && b && a !== b) sim.score *= p.patronymicSwapFactor;
      if (sim.score >= p.minPairSimilarity) cand.push({ i, j, s: sim.score, kind: sim.kind });
    }
  }
  // One token against 2-3 adjacent tokens of the other name, spelled alike when joined
  // ("FridrichBuchenberg" / "Friedrich Buchenberg", "Patr ushev" / "Patrushev"): these compete with
  // single pairs, so a glued token is not first paired with only one of its parts.
  const orgs = q.kind === 'organization' && c.kind === 'organization';
  const groups = [
    ...gluedGroups(qt, ct, true),
    ...gluedGroups(ct, qt, false),
    ...acronymGroups(qt, ct, true, orgs),
    ...acronymGroups(ct, qt, false, orgs),
  ].sort((x, y) => y.s - x.s);
  cand.sort((x, y) => y.s - x.s || x.i - y.i || x.j - y.j);
  const qUsed = new Int8Array(qt.length);
  const cUsed = new Int8Array(ct.length);
  let num = 0;
  let den = 0;
  const pairs: TokenPairExplanation[] = [];
  const contrib = (s: number) => Math.max(0, 1 - p.steepness * (1 - s));
  const glue = (
    a: NameToken[],
    aUsed: Int8Array,
    b: NameToken[],
    bUsed: Int8Array,
    aIsQuery: boolean,
    keysOnly: boolean,
  ) => {
    for (let i = 0; i < a.length; i++) {
      if (aUsed[i]) continue;
      let done = false;
      for (let n = 2; n <= 3 && !done; n++) {
        for (let j = 0; j + n <= b.length; j++) {
          let free = true;
          for (let k = j; k < j + n; k++) if (bUsed[k]) free = false;
          if (!free) continue;
          let len = 0;
          for (let k = j; k < j + n; k++) len += b[k]!.text.length;
          const parts = b.slice(j, j + n);
          // Across scripts ("hidayatullah" / هدايت الله) the phonetic keys are compared as well.
          const keyScore = crossKeyScore(a[i]!, parts, keysOnly);
          if (keysOnly && keyScore < 0.95) continue;
          // Jaro-Winkler >= 0.92 needs similar lengths: skip the string work otherwise.
          if (Math.abs(len - a[i]!.text.length) > 2 && keyScore < 0.92) continue;
          const joined = parts.map((t) => t.text).join('');
          const s = Math.max(keyScore, a[i]!.text === joined ? 1 : jaroWinkler(a[i]!.text, joined));
          if (s < 0.92) continue;
          aUsed[i] = 1;
          let w = a[i]!.weight;
          for (let k = j; k < j + n; k++) {
            bUsed[k] = 1;
            w += b[k]!.weight;
          }
          num += w * contrib(s);
          den += w;
          if (explain) {
            const other = parts.map((t) => t.text).join(' ');
            pairs.push({
              query: aIsQuery ? a[i]!.text : other,
              candidate: aIsQuery ? other : a[i]!.text,
              similarity: r3(s),
              kind: 'glued',
            });
          }
          done = true;
          break;
        }
      }
    }
  };
  function takeGroup(x: GluedGroup): void {
    const [aUsed, bUsed, a, b] = x.aIsQuery ? [qUsed, cUsed, qt, ct] : [cUsed, qUsed, ct, qt];
    if (aUsed[x.i]) return;
    for (let k = x.j; k < x.j + x.n; k++) if (bUsed[k]) return;
    aUsed[x.i] = 1;
    let w = a[x.i]!.weight;
    for (let k = x.j; k < x.j + x.n; k++) {
      bUsed[k] = 1;
      w += b[k]!.weight;
    }
    num += w * contrib(x.s);
    den += w;
    if (explain) {
      const other = b
        .slice(x.j, x.j + x.n)
        .map((t) => t.text)
        .join(' ');
      pairs.push({
        query: x.aIsQuery ? a[x.i]!.text : other,
        candidate: x.aIsQuery ? other : a[x.i]!.text,
        similarity: r3(x.s),
        kind: 'glued',
      });
    }
  }
  // Across scripts, name parts glued on one side and not the other are settled first, when their
  // phonetic keys agree: greedy pairing would otherwise pair "hdayt" alone with "hidayatullah".
  if (qt.some((t) => t.abjad) !== ct.some((t) => t.abjad)) {
    glue(qt, qUsed, ct, cUsed, true, true);
    glue(ct, cUsed, qt, qUsed, false, true);
  }
  let g = 0;
  for (const x of cand) {
    // Groups scoring higher than this pair go first (on a tie, the single pair).
    for (; g < groups.length && groups[g]!.s > x.s; g++) takeGroup(groups[g]!);
    if (qUsed[x.i] || cUsed[x.j]) continue;
    qUsed[x.i] = 1;
    cUsed[x.j] = 1;
    const w = qt[x.i]!.weight + ct[x.j]!.weight;
    num += w * contrib(x.s);
    den += w;
    if (explain)
      pairs.push({ query: qt[x.i]!.text, candidate: ct[x.j]!.text, similarity: r3(x.s), kind: x.kind });
  }
  for (; g < groups.length; g++) takeGroup(groups[g]!);
  // Glued tokens: "jandaniel" against "jan" + "daniel", "bashiruddin" against "bashir ud din", either way round.
  glue(qt, qUsed, ct, cUsed, true, false);
  glue(ct, cUsed, qt, qUsed, false, false);
  let qLeft = 0;
  let cLeft = 0;
  const unmatchedQuery: string[] = [];
  const unmatchedCandidate: string[] = [];
  // Across scripts a left-over article costs nothing: Latin lists drop al- or glue it
  // ("TAYEB NAIL" for الطيب نايل, "Ansarul"), Arabic-script writers add or drop it as well.
  const crossScript = qt.some((t) => t.abjad) !== ct.some((t) => t.abjad);
  const free = (t: NameToken) => crossScript && ARTICLE_TOKEN.has(t.text);
  const qOptional = optionalParts(qt, qUsed);
  const cOptional = optionalParts(ct, cUsed);
  // Optional parts left over on both sides contradict each other (another father): all count.
  if (qOptional.size > 0 && cOptional.size > 0) {
    qOptional.clear();
    cOptional.clear();
  }
  for (let i = 0; i < qt.length; i++) {
    if (!qUsed[i]) {
      if (!free(qt[i]!) && !qOptional.has(i)) qLeft += qt[i]!.weight;
      unmatchedQuery.push(qt[i]!.text);
    }
  }
  for (let j = 0; j < ct.length; j++) {
    if (!cUsed[j]) {
      if (!free(ct[j]!) && !cOptional.has(j)) cLeft += ct[j]!.weight;
      unmatchedCandidate.push(ct[j]!.text);
    }
  }
  const qShort = qt.length <= ct.length;
  den += Math.min(qLeft, cLeft) * p.contradictionPenalty;
  const single = Math.min(qt.length, ct.length) === 1;
  const longPenalty = single
    ? p.singleTokenLongPenalty
    : q.kind === 'organization' && c.kind === 'organization'
      ? p.organizationLongPenalty
      : p.unmatchedLongPenalty;
  den += qLeft * (qShort ? p.unmatchedShortPenalty : longPenalty);
  den += cLeft * (qShort ? longPenalty : p.unmatchedShortPenalty);
  let score = den > 0 ? num / den : 0;
  // Same letters, different spacing ("Siemens AG" / "SiemensAG").
  if (q.compact.length >= 6 && q.compact === c.compact && score < 0.97) score = 0.97;
  return { score: Math.min(1, Math.max(0, score)), pairs, unmatchedQuery, unmatchedCandidate };
}

/** A Slavic or Turkic patronymic (Oleksandrovych, Vladimirovna, Ogly); not Serbo-Croatian -ović surnames. */
const SLAVIC_PATRONYMIC = /^.{3,}(?:ovich|evich|ovych|evych|ovna|evna|ivna|ichna|ogly|oglu|kyzy|qizi)$/;
const ANCESTOR_LINK = new Set(['bin', 'ibn', 'bint', 'ben', 'ould']);

/**
 * Unmatched name parts that cost nothing, because names are quoted with or without them: a
 * patronymic between given name and surname ("Volodymyr [Oleksandrovych] Zelenskyy"), and the
 * inner links of a genealogy ("Usama bin [Muhammad bin Awad bin] Ladin") when the name carries
 * two or more "bin", the first still matched. A part only counts as missing when the other name
 * does not contradict it (its own patronymic left over is a different father).
 */
function optionalParts(t: NameToken[], used: Int8Array): Set<number> {
  const out = new Set<number>();
  const last = t.length - 1;
  for (let i = 1; i < last; i++) if (!used[i] && SLAVIC_PATRONYMIC.test(t[i]!.text)) out.add(i);
  const links: number[] = [];
  t.forEach((x, i) => {
    if (ANCESTOR_LINK.has(x.text)) links.push(i);
  });
  if (links.length >= 2 && used[links[0]!] && used[last])
    for (let i = links[0]! + 1; i < last; i++) if (!used[i]) out.add(i);
  return out;
}

interface GluedGroup {
  aIsQuery: boolean;
  i: number;
  j: number;
  n: number;
  s: number;
}

/** Tokens of `a` spelled like 2-3 adjacent tokens of `b` joined (Jaro-Winkler >= 0.92), best first. */
function gluedGroups(a: NameToken[], b: NameToken[], aIsQuery: boolean): GluedGroup[] {
  const out: GluedGroup[] = [];
  if (b.length < 2) return out;
  for (let i = 0; i < a.length; i++) {
    const la = a[i]!.text.length;
    if (la < 5) continue;
    for (let n = 2; n <= 3; n++)
      for (let j = 0; j + n <= b.length; j++) {
        let len = 0;
        for (let k = j; k < j + n; k++) len += b[k]!.text.length;
        if (Math.abs(len - la) > 2) continue;
        const joined = b
          .slice(j, j + n)
          .map((t) => t.text)
          .join('');
        const s = a[i]!.text === joined ? 1 : jaroWinkler(a[i]!.text, joined);
        if (s >= 0.92) out.push({ aIsQuery, i, j, n, s });
      }
  }
  return out;
}

/**
 * Abbreviations spelling the initials of 2-5 adjacent tokens of the other name ("U.S." / "United
 * States"): written with dots, or any short token when both names are organisations ("PLA" /
 * "People's Liberation Army").
 */
function acronymGroups(a: NameToken[], b: NameToken[], aIsQuery: boolean, orgs: boolean): GluedGroup[] {
  const out: GluedGroup[] = [];
  for (let i = 0; i < a.length; i++) {
    const t = a[i]!;
    const n = t.text.length;
    if (!(t.abbrev || orgs) || n < 2 || n > 5 || n > b.length || !/^[a-z]+$/.test(t.text)) continue;
    for (let j = 0; j + n <= b.length; j++) {
      let k = 0;
      while (k < n && b[j + k]!.text[0] === t.text[k] && b[j + k]!.text.length > 1) k++;
      if (k === n) out.push({ aIsQuery, i, j, n, s: ABBREVIATION_SCORE });
    }
  }
  return out;
}

/** An article may sit inside a glued name part ("Abd al-Ghafur", "Nur al-Din"); "bin" may not. */
const ARTICLE_TOKEN = new Set(['al', 'el', 'ul']);

/**
 * Phonetic-key similarity of one token against adjacent tokens of the other script, joined
 * ("hidayatullah" / "hdayt" + "allah"); 0 when the sides are the same script.
 */
function crossKeyScore(a: NameToken, parts: NameToken[], keysOnly: boolean): number {
  // Settled before greedy pairing only when two real name parts are glued, not a particle.
  if (keysOnly && parts.filter((t) => keyCore(t.skeleton) !== '').length < 2) return 0;
  // A glued Latin name is a compound (Hidayatullah, Shamsuddin, Kakazada): long, or carrying
  // the article or Allah.
  const latin = a.abjad ? parts.map((t) => t.text).join('') : a.text;
  if (latin.length < 8 && !parts.some((t) => ARTICLE_TOKEN.has(t.text) || t.text === 'allah')) return 0;
  const ok = parts.every(
    (t, k) =>
      t.abjad !== a.abjad && (t.skeleton !== '' || (ARTICLE_TOKEN.has(t.text) && k < parts.length - 1)),
  );
  if (!ok) return 0;
  const joined = joinKeys(parts.map((t) => t.skeleton));
  const joinedAlt = joinKeys(parts.map((t) => t.skeletonAlts[0] ?? t.skeleton));
  let s = keySimilarity(a.skeleton, joined, false);
  for (const k of a.skeletonAlts) s = Math.max(s, keySimilarity(k, joined, false));
  return joinedAlt !== joined ? Math.max(s, keySimilarity(a.skeleton, joinedAlt, false)) : s;
}
