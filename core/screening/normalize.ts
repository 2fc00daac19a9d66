import anyAscii from 'any-ascii';
import { doubleMetaphone } from 'double-metaphone';

/** Kind of party a name belongs to; `unknown` when the caller does not say. */
export type EntityKind = 'person' | 'organization' | 'vessel' | 'aircraft' | 'unknown';

/** One token of a normalised name. */
export interface NameToken {
  /** ASCII, lower case, no punctuation. */
  text: string;
  /** Weight in the score: short tokens, particles and initials count less. */
  weight: number;
  /** Double Metaphone codes (primary, alternate), deduplicated. */
  phonetic: string[];
  /** Token came from a script written without short vowels (Arabic, Hebrew, Persian...). */
  abjad: boolean;
  /** Consonant skeleton, compared when one side is `abjad`. */
  skeleton: string;
}

/** A name ready for scoring: precomputed once per list name, once per query. */
export interface NormalizedName {
  original: string;
  tokens: NameToken[];
  /** Tokens joined without spaces (after honorific removal, before legal-suffix removal). */
  compact: string;
  /** Words dropped during normalisation (honorifics, legal forms), for the explanation. */
  removed: string[];
}

/** Titles and honorifics dropped from person names. */
const HONORIFICS = new Set([
  'mr',
  'mrs',
  'ms',
  'miss',
  'mx',
  'dr',
  'prof',
  'professor',
  'sir',
  'dame',
  'lord',
  'lady',
  'hon',
  'honorable',
  'honourable',
  'rev',
  'reverend',
  'president',
  'gen',
  'general',
  'col',
  'colonel',
  'maj',
  'major',
  'capt',
  'captain',
  'lt',
  'sgt',
  'herr',
  'frau',
  'monsieur',
  'madame',
  'mme',
  'senor',
  'senora',
  'sr',
  'sra',
  'jr',
  'haji',
  'hajji',
  'mullah',
  'mawlawi',
  'maulavi',
  'maulvi',
  'qari',
]);

/** Company legal forms and filler words, dropped when at least one other token remains. */
const LEGAL_FORMS = new Set([
  'the',
  'and',
  'inc',
  'incorporated',
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'plc',
  'corp',
  'corporation',
  'co',
  'company',
  'cia',
  'ag',
  'gmbh',
  'kg',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'sl',
  'bv',
  'nv',
  'oy',
  'oyj',
  'ab',
  'as',
  'asa',
  'aps',
  'pte',
  'pty',
  'bhd',
  'sdn',
  'jsc',
  'ojsc',
  'cjsc',
  'pjsc',
  'oao',
  'zao',
  'ooo',
  'pao',
  'ao',
  'tov',
  'fze',
  'fzco',
  'fzc',
  'dmcc',
  'kk',
  'sp',
  'zoo',
  'de',
  'cv',
  'est',
  'establishment',
]);
/** Multi-word legal forms, matched on the token sequence. */
const LEGAL_PHRASES: string[][] = [
  ['joint', 'stock', 'company'],
  ['public', 'joint', 'stock', 'company'],
  ['limited', 'liability', 'company'],
  ['sp', 'z', 'oo'],
  ['s', 'de', 'rl'],
  ['s', 'a'],
  ['co', 'ltd'],
];

/** Name particles: kept, but weigh little. */
const PARTICLES = new Set([
  'al',
  'el',
  'ul',
  'bin',
  'ibn',
  'bint',
  'ben',
  'abu',
  'abd',
  'de',
  'da',
  'di',
  'del',
  'der',
  'den',
  'la',
  'le',
  'van',
  'von',
  'dos',
  'das',
  'du',
  'y',
  'mc',
  'mac',
  'ould',
]);

const ABJAD = /[\u0590-\u05FF\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;
const COMBINING = /[\u0300-\u036f]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Max length of a name we accept; longer input is rejected, not truncated. */
export const MAX_NAME_LENGTH = 500;

/** Why a raw name cannot be screened, or null when it can. */
export function validateName(raw: unknown): string | null {
  if (typeof raw !== 'string') return 'name is not a string';
  if (raw.trim() === '') return 'name is empty';
  if (raw.length > MAX_NAME_LENGTH) return `name is ${raw.length} characters, over the ${MAX_NAME_LENGTH}-character limit`;
  if (CONTROL.test(raw.replace(/[\t\n\r]/g, ' '))) return 'name contains control characters';
  return null;
}

function skeletonOf(t: string): string {
  // Consonant skeleton: drop vowels and vowel-like letters, collapse doubles.
  return t.replace(/[aeiouyw]/g, '').replace(/(.)\1+/g, '$1');
}

/** Weight of a token in the score. */
export function tokenWeight(t: string): number {
  if (PARTICLES.has(t)) return 0.25;
  if (t.length === 1) return 0.3;
  if (t.length === 2) return 0.5;
  if (t.length === 3) return 0.8;
  return 1;
}

function makeToken(text: string, abjad: boolean): NameToken {
  const [p, s] = doubleMetaphone(text);
  const phonetic = p === s ? [p] : [p, s];
  return { text, weight: tokenWeight(text), phonetic: phonetic.filter(Boolean), abjad, skeleton: skeletonOf(text) };
}

/** Moves "SURNAME, Given Names" to "Given Names SURNAME" (one comma, no legal form after it). */
function reorderSurnameFirst(name: string): string {
  const parts = name.split(',');
  if (parts.length !== 2) return name;
  const [surname, given] = parts.map((p) => p.trim()) as [string, string];
  if (!surname || !given) return name;
  const givenWords = given.toLowerCase().replace(/\./g, '').split(/\s+/);
  if (givenWords.some((w) => LEGAL_FORMS.has(w) && w !== 'de' && w !== 'the')) return name;
  return `${given} ${surname}`;
}

/** Splits raw text into ASCII lower-case words (transliterated). */
function words(raw: string): { words: string[]; abjad: boolean[] } {
  const out: string[] = [];
  const abjad: boolean[] = [];
  for (const piece of raw.normalize('NFKC').split(/[\s,;/()[\]{}<>«»"“”„|:+_]+/)) {
    if (!piece) continue;
    const isAbjad = ABJAD.test(piece);
    let t = anyAscii(piece.normalize('NFKD').replace(COMBINING, '')).toLowerCase();
    t = t.replace(/&/g, ' and ');
    // Apostrophes, dots and hyphens glue ("ky'ong" -> "kyong", "p.l.c." -> "plc", "jong-un" -> "jongun").
    t = t.replace(/['`´‘’.\-‐-―]/g, '');
    for (const w of t.split(/[^a-z0-9]+/)) {
      if (w) {
        out.push(w);
        abjad.push(isAbjad);
      }
    }
  }
  return { words: out, abjad };
}

/** Normalises a name: transliteration, case, punctuation, honorifics, legal forms, name order. */
export function normalizeName(raw: string, kind: EntityKind = 'unknown'): NormalizedName {
  const removed: string[] = [];
  const ordered = kind === 'organization' || kind === 'vessel' ? raw : reorderSurnameFirst(raw);
  const { words: ws, abjad } = words(ordered);
  let keep = ws.map((w, i) => ({ w, abjad: abjad[i] ?? false }));
  // Honorifics (only when something else remains).
  const noHon = keep.filter((k) => !HONORIFICS.has(k.w));
  if (noHon.length > 0 && noHon.length < keep.length) {
    for (const k of keep) if (HONORIFICS.has(k.w)) removed.push(k.w);
    keep = noHon;
  }
  const compact = keep.map((k) => k.w).join('');
  // Legal phrases, then single legal-form words.
  for (const phrase of LEGAL_PHRASES) {
    for (let i = 0; i + phrase.length <= keep.length; i++) {
      if (phrase.every((p, j) => keep[i + j]?.w === p) && keep.length > phrase.length) {
        removed.push(phrase.join(' '));
        keep.splice(i, phrase.length);
        i--;
      }
    }
  }
  const noLegal = keep.filter((k) => !LEGAL_FORMS.has(k.w) || (k.w === 'de' && kind === 'person'));
  if (noLegal.length > 0 && noLegal.length < keep.length) {
    for (const k of keep) if (!noLegal.includes(k)) removed.push(k.w);
    keep = noLegal;
  }
  return { original: raw, tokens: keep.map((k) => makeToken(k.w, k.abjad)), compact, removed };
}
