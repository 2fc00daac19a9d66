import { keyCore, showsLongVowels } from './arabic';
import type { NameToken } from './normalize';

// Scratch buffers reused across calls (no allocation per comparison).
let bufA = new Uint8Array(64);
let bufB = new Uint8Array(64);

/** Jaro-Winkler similarity in [0,1] (prefix scale 0.1, up to 4 prefix characters). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  const la = a.length;
  const lb = b.length;
  if (la === 0 || lb === 0) return 0;
  const range = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1);
  if (la > bufA.length || lb > bufB.length) {
    bufA = new Uint8Array(Math.max(la, bufA.length * 2));
    bufB = new Uint8Array(Math.max(lb, bufB.length * 2));
  }
  const aMatch = bufA;
  const bMatch = bufB;
  aMatch.fill(0, 0, la);
  bMatch.fill(0, 0, lb);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const lo = Math.max(0, i - range);
    const hi = Math.min(i + range + 1, lb);
    const c = a.charCodeAt(i);
    for (let j = lo; j < hi; j++) {
      if (bMatch[j] === 0 && b.charCodeAt(j) === c) {
        aMatch[i] = 1;
        bMatch[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (matches === 0) return 0;
  let k = 0;
  let transpositions = 0;
  for (let i = 0; i < la; i++) {
    if (aMatch[i] === 0) continue;
    while (bMatch[k] === 0) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++;
    k++;
  }
  const m = matches;
  const jaro = (m / la + m / lb + (m - transpositions / 2) / m) / 3;
  let prefix = 0;
  const maxPrefix = Math.min(4, la, lb);
  while (prefix < maxPrefix && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** How two tokens were found similar. */
export type PairKind = 'exact' | 'fuzzy' | 'variant' | 'phonetic' | 'initial' | 'skeleton' | 'glued';

export interface TokenSimilarity {
  score: number;
  kind: PairKind;
}

const VARIANT_SCORE = 0.94;
/** An abbreviation spelling a name's initials ("J.-C." / "Jean-Claude", "U.S." / "United States"). */
export const ABBREVIATION_SCORE = 0.93;
const CJK_FACTOR = 0.75;
const ARTICLES = new Set([
  'al',
  'el',
  'ul',
  'il',
  'ad',
  'as',
  'ash',
  'az',
  'at',
  'ath',
  'ar',
  'an',
  'ed',
  'es',
  'er',
  'en',
  'et',
]);

/** Phonetic keys equal (a vowel-less script against a Latin spelling). */
const SKELETON_SCORE = 0.97;
/** Factor when the Latin spelling lacks a long vowel the Arabic writes (حسین / Hassan). */
const LONG_VOWEL_FACTOR = 0.94;
/** Factor on the Jaro-Winkler similarity of two different keys. */
const SKELETON_FUZZY = 0.92;

/**
 * Similarity of two phonetic keys (an abjad-script token against a Latin one): equal keys score
 * high; a one-letter key ("l" for Ali) only when equal; a Latin token with a glued article
 * ("almajid") against the bare key when `gluedArticle`; otherwise Jaro-Winkler of the keys, discounted.
 */
export function keySimilarity(ka: string, kb: string, gluedArticle = true): number {
  const ca = keyCore(ka);
  const cb = keyCore(kb);
  if (ca.length === 0 || cb.length === 0) return 0;
  // Matching start/end markers (a written initial vowel, a final -i) are evidence like a consonant.
  const len = ca.length + (/[_+]/.test(ka) && /[_+]/.test(kb) ? 1 : 0);
  const equal = len >= 3 ? SKELETON_SCORE : len === 2 ? 0.95 : 0.93;
  // A final h (ha, ta marbuta) is written or not; "~" (Persian final ی) and "%" (ى, final ع)
  // take the other side's ending, "*" (initial و) its start.
  const end = (k: string, other: string) =>
    /[~%]$/.test(k) ? k.slice(0, -1) + (other.endsWith('+') ? '+' : '') : k;
  const start = (k: string, other: string) =>
    k.startsWith('*') ? (other.replace(/^\^/, '').startsWith('_') ? '_' : '') + k.slice(1) : k;
  const fa = start(end(ka, kb), kb).replace(/(.)h(\+?)$/, '$1$2');
  const fb = start(end(kb, ka), ka).replace(/(.)h(\+?)$/, '$1$2');
  // Final ی read as -a (عیسی Isa) is the rarer reading: it counts a little less.
  const rare = (ka.endsWith('~') && !kb.endsWith('+')) || (kb.endsWith('~') && !ka.endsWith('+')) ? 0.04 : 0;
  if (fa === fb) return equal - rare;
  if (gluedArticle && (afterArticle(fa, fb) || afterArticle(fb, fa))) return equal - 0.02 - rare;
  if (ca.length < 2 || cb.length < 2) return 0;
  return jaroWinkler(fa.replace(/\^/, ''), fb.replace(/\^/, '')) * SKELETON_FUZZY;
}

/** `a` followed the Arabic article; `b` is the same name with the article glued ("almajid", "essaadi") or without. */
function afterArticle(a: string, b: string): boolean {
  if (!a.startsWith('^')) return false;
  const bare = a.slice(1).replace(/^_/, '');
  return (
    a.slice(1) === b ||
    (b.startsWith('_') && (b.slice(1) === bare || (b.startsWith('_l') && b.slice(2) === bare)))
  );
}

/** Similarity of two name tokens: exact, initial, Jaro-Winkler, phonetic and consonant-skeleton evidence. */
export function tokenSimilarity(a: NameToken, b: NameToken): TokenSimilarity {
  // Two tokens written in the same non-Latin script: no transliteration lies between them, so
  // only their spelling in that script counts (no variant, phonetic or key equivalence).
  if (a.script !== undefined && a.script === b.script) return sameScriptSimilarity(a, b);
  if (a.text === b.text) return { score: 1, kind: 'exact' };
  // "J.-C." / "Jean-Claude": dotted letters against a hyphenated name's initials.
  if ((a.abbrev && a.text === b.initials) || (b.abbrev && b.text === a.initials))
    return { score: ABBREVIATION_SCORE, kind: 'initial' };
  const la = a.text.length;
  const lb = b.text.length;
  if (la === 1 || lb === 1) {
    return a.text[0] === b.text[0] ? { score: 0.9, kind: 'initial' } : { score: 0, kind: 'fuzzy' };
  }
  // A typo is an edit of one writing; a romanised name against a Latin one differs by its vowels.
  const latin = a.script === undefined && b.script === undefined && !a.abjad && !b.abjad;
  let best: TokenSimilarity = {
    score: latin ? spellingSimilarity(a.text, b.text) : jaroWinkler(a.text, b.text),
    kind: 'fuzzy',
  };
  // Chinese/Korean/Japanese syllables: a different syllable is a different name.
  if (a.cjk || b.cjk) return { score: best.score * CJK_FACTOR, kind: 'fuzzy' };
  if (
    best.score < VARIANT_SCORE &&
    la >= 4 &&
    lb >= 4 &&
    (a.text[0] === b.text[0] || (la >= 6 && lb >= 6)) &&
    a.variant === b.variant
  ) {
    return { score: VARIANT_SCORE, kind: 'variant' };
  }
  if (la >= 4 && lb >= 4 && best.score >= 0.7 && best.score < 0.9 && sharesCode(a.phonetic, b.phonetic)) {
    best = { score: 0.9, kind: 'phonetic' };
  }
  const [cyr, lat] = a.script === 'cyrillic' ? [a, b] : [b, a];
  if (cyr.script === 'cyrillic' && lat.script === undefined) {
    // A Russian transcription of an Arabic name: the article in any form, the second reading.
    if (ARTICLES.has(a.text) && ARTICLES.has(b.text)) return { score: 0.95, kind: 'variant' };
    if (cyr.altText !== undefined) {
      const alt = cyr.altText === lat.text ? VARIANT_SCORE : jaroWinkler(cyr.altText, lat.text);
      if (alt > best.score) best = { score: alt, kind: alt === VARIANT_SCORE ? 'variant' : 'fuzzy' };
    }
  }
  if (a.abjad !== b.abjad) {
    // The article, however assimilated or spelled: al-, el-, ul-, ad-, ash-, ar-...
    if (ARTICLES.has(a.text) && ARTICLES.has(b.text)) return { score: 0.95, kind: 'variant' };
    let s = keySimilarity(a.skeleton, b.skeleton);
    for (const k of a.skeletonAlts) s = Math.max(s, keySimilarity(k, b.skeleton));
    for (const k of b.skeletonAlts) s = Math.max(s, keySimilarity(a.skeleton, k));
    const [ar, la] = a.abjad ? [a, b] : [b, a];
    if (ar.longVowels && !showsLongVowels(la.text, ar.longVowels)) s *= LONG_VOWEL_FACTOR;
    if (s > best.score) best = { score: s, kind: 'skeleton' };
  }
  return best;
}

/** Edits from which two spellings are no longer a typo apart ("Ronaldinho" / "Ronaldo", "Mahir" / "Mahathir"). */
const NOT_A_TYPO_EDITS = 3;
/** Cap on their Jaro-Winkler similarity, which rewards a shared beginning whatever follows. */
const NOT_A_TYPO_CAP = 0.85;

/** Jaro-Winkler of two Latin spellings, capped when they are 3+ edits apart (variants have their own rules). */
function spellingSimilarity(a: string, b: string): number {
  const jw = jaroWinkler(a, b);
  if (jw <= NOT_A_TYPO_CAP) return jw;
  return editDistance(a, b, NOT_A_TYPO_EDITS) >= NOT_A_TYPO_EDITS ? NOT_A_TYPO_CAP : jw;
}

/** Optimal string alignment distance (substitution, insertion, deletion, adjacent swap), capped at `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) >= max) return max;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prev2[j - 2]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= max) return max;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return Math.min(prev[n]!, max);
}

function sameScriptSimilarity(a: NameToken, b: NameToken): TokenSimilarity {
  const [x, y] = a.native !== undefined && b.native !== undefined ? [a.native, b.native] : [a.text, b.text];
  if (x === y) return { score: 1, kind: 'exact' };
  if ([...x].length === 1 || [...y].length === 1) return { score: 0, kind: 'fuzzy' };
  const s = jaroWinkler(x, y);
  return { score: a.cjk || b.cjk ? s * CJK_FACTOR : s, kind: 'fuzzy' };
}

function sharesCode(a: string[], b: string[]): boolean {
  for (const x of a) if (x.length >= 2 && b.includes(x)) return true;
  return false;
}
