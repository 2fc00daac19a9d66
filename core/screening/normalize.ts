import anyAscii from 'any-ascii';
import { doubleMetaphone } from 'double-metaphone';
import { latinAbjadKey, romanizeArabic, ARABIC_SCRIPT } from './arabic';
import { scriptsOf, type NameScript } from './script';
import { jaroWinkler } from './similarity';
import { matchingText, nameTextProblem } from '../name-text';

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
  /** Consonant skeleton (phonetic key), compared when one side is `abjad`. */
  skeleton: string;
  /** Other plausible keys (Arabic ث as s, a digraph, ة as -t...; see ArabicToken.alts); [] when none. */
  skeletonAlts: string[];
  /** Long vowels an Arabic-script word writes inside it ("i", "u"); '' otherwise. */
  longVowels: string;
  /** First letters of a hyphenated word's parts ("jc" for Jean-Claude); '' otherwise. */
  initials: string;
  /** Written as dotted letters ("J.-C.", "U.S."): an abbreviation, matched against initials. */
  abbrev: boolean;
  /** The non-Latin script the token was written in (undefined: Latin). */
  script?: NameScript;
  /** The token as written in that script, when known (one word, or one Han/Kana character). */
  native?: string;
  /**
   * A second romanisation, for Russian transcriptions of Arabic and Persian names (х is h as well
   * as kh, дж is j, у after a vowel is w: Таухид = Tawhid, Хусейн = Husein).
   */
  altText?: string;
  /** Spelling-variant key: transliteration equivalences folded ("selenskyj" = "zelenskyy"). */
  variant: string;
  /** Token is a syllable transliterated from Han/Hangul/Kana: only exact syllables match well. */
  cjk: boolean;
  /** Position around "bin"/"ibn": the person's own name (before) or the father's (after). */
  role?: 'given' | 'father';
}

/** A name ready for scoring: precomputed once per list name, once per query. */
export interface NormalizedName {
  original: string;
  kind: EntityKind;
  tokens: NameToken[];
  /** Tokens joined without spaces (after honorific removal, before legal-suffix removal). */
  compact: string;
  /** Words dropped during normalisation (honorifics, legal forms), for the explanation. */
  removed: string[];
  /** Scripts the name is written in (Unicode Script property). */
  scripts: NameScript[];
  /** Latin form(s) a non-Latin name was matched as: the romanisation and, for abjad scripts, the phonetic keys. */
  romanizations: string[];
}

/** How names are normalised; `transliterate: false` is the matcher before cross-script rules (benchmark baseline). */
export interface NormalizeOptions {
  transliterate?: boolean;
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
  'sheikh',
  'shaikh',
  'shaykh',
  'sheik',
  'maulana',
  'mawlana',
  'moulana',
  'mulla',
  'molla',
  'mollah',
  'alhaj',
  'alhajj',
  'hajj',
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
  'aktiengesellschaft',
  'gesellschaft',
  'ano',
  'ojsc',
  'pao',
  'eood',
  'ood',
  'ad',
  'sro',
  'doo',
  'kft',
  'zrt',
  'nyrt',
  'sae',
  'saa',
  'sac',
  'ltda',
  'eirl',
  'lda',
  'holding',
  'holdings',
]);
const LONG_LEGAL = [...LEGAL_FORMS].filter((w) => w.length >= 7 && w !== 'holding' && w !== 'holdings');

/** Multi-word legal forms, matched on the token sequence. */
const LEGAL_PHRASES: string[][] = [
  ['joint', 'stock', 'company'],
  ['public', 'joint', 'stock', 'company'],
  ['limited', 'liability', 'company'],
  ['sp', 'z', 'oo'],
  ['s', 'de', 'rl'],
  ['s', 'a'],
  ['co', 'ltd'],
  ['open', 'joint', 'stock', 'company'],
  ['closed', 'joint', 'stock', 'company'],
  ['obshchestvo', 's', 'ogranichennoi', 'otvetstvennostiu'],
  ['obshchestvo', 's', 'ogranichennoy', 'otvetstvennostyu'],
  ['aktsionernoe', 'obshchestvo'],
  ['aktsionernoye', 'obshchestvo'],
  ['publichnoe', 'aktsionernoe', 'obshchestvo'],
  ['societatea', 'cu', 'raspundere', 'limitata'],
  ['sociedad', 'anonima'],
  ['societe', 'anonyme'],
  ['limited', 'partnership'],
];

/** Longest first: "open joint stock company" before "joint stock company" leaves no "open" behind. */
const LEGAL_PHRASES_LONGEST_FIRST = [...LEGAL_PHRASES].sort((a, b) => b.length - a.length);

const PATRONYMIC = new Set(['bin', 'ibn', 'bint', 'binti']);

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

const CJK = /[\u1100-\u11FF\u3040-\u30FF\u3130-\u318F\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF]/;
const HANGUL = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7AF]/;
/** Han and Kana only: one syllable per character, so a different syllable is a different name. */
const HAN = /[\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF]/;
const ABJAD = /[\u0590-\u05FF\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;
const COMBINING = /[\u0300-\u036f]/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const UNITS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
};
const TEENS: Record<string, number> = {
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20,
  thirty: 30,
  forty: 40,
  fourty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const ORDINALS: Record<string, number> = {
  first: 1,
  second: 2,
  third: 3,
  fourth: 4,
  fifth: 5,
  sixth: 6,
  seventh: 7,
  eighth: 8,
  ninth: 9,
  tenth: 10,
};
const NUMBER_WORDS = new RegExp(
  `\\b(?:(?:${Object.keys(TENS).join('|')})(?:[-‐ ]?(?:${Object.keys(UNITS).join('|')}))?|${[...Object.keys(TEENS), ...Object.keys(UNITS), ...Object.keys(ORDINALS)].join('|')}|[0-9]+(?:st|nd|rd|th))\\b`,
  'g',
);
/** "forty-four" -> "44", "third" -> "3", "1st" -> "1". */
function numberWord(w: string): string {
  const ord = /^([0-9]+)(?:st|nd|rd|th)$/.exec(w);
  if (ord) return ord[1]!;
  const simple = UNITS[w] ?? TEENS[w] ?? ORDINALS[w];
  if (simple !== undefined) return String(simple);
  for (const [tens, n] of Object.entries(TENS)) {
    if (w.startsWith(tens)) {
      const rest = w.slice(tens.length).replace(/^[-‐ ]/, '');
      return String(n + (rest ? (UNITS[rest] ?? 0) : 0));
    }
  }
  return w;
}

/** Common short forms of given names, both ways round (a small symbol table). */
const NICKNAMES: Record<string, string> = {
  bibi: 'benjamin',
  ted: 'theodore',
  teddy: 'theodore',
  bill: 'william',
  billy: 'william',
  will: 'william',
  bob: 'robert',
  bobby: 'robert',
  rob: 'robert',
  dick: 'richard',
  rick: 'richard',
  jim: 'james',
  jimmy: 'james',
  mike: 'michael',
  tom: 'thomas',
  tony: 'anthony',
  joe: 'joseph',
  alex: 'alexander',
  sasha: 'alexander',
  dima: 'dmitry',
  volodya: 'vladimir',
  vova: 'vladimir',
  kolya: 'nikolai',
  misha: 'mikhail',
  barry: 'barack',
  liz: 'elizabeth',
  beth: 'elizabeth',
  kate: 'katherine',
  peggy: 'margaret',
  maggie: 'margaret',
  chuck: 'charles',
  charlie: 'charles',
  hank: 'henry',
  jack: 'john',
  johnny: 'john',
  intl: 'international',
  ibn: 'bin',
  bint: 'bin',
};

/** Max length of a name we accept; longer input is rejected, not truncated. */
export const MAX_NAME_LENGTH = 500;

/** Why a raw name cannot be screened, or null when it can. */
export function validateName(raw: unknown): string | null {
  if (typeof raw !== 'string') return 'name is not a string';
  if (raw.trim() === '') return 'name is empty';
  if (raw.length > MAX_NAME_LENGTH)
    return `name is ${raw.length} characters, over the ${MAX_NAME_LENGTH}-character limit`;
  if (CONTROL.test(raw.replace(/[\t\n\r]/g, ' '))) return 'name contains control characters';
  return nameTextProblem(raw);
}

function skeletonOf(t: string): string {
  // Consonant skeleton: drop vowels and vowel-like letters, collapse doubles.
  return t.replace(/[aeiouyw]/g, '').replace(/(.)\1+/g, '$1');
}

/** Folds common transliteration variants: w/v, q/c/k, z/s, j/y/i, o/u, e/i, dh/kh/gh/th/ph, doubled letters, final -s. */
export function variantKey(t: string): string {
  let k = t
    .replace(/tsch|tch/g, 'ch')
    .replace(/sch/g, 'sh')
    .replace(/dzh|zh|dj/g, 'j')
    .replace(/ph/g, 'f')
    .replace(/([dktg])h/g, '$1')
    .replace(/w/g, 'v')
    .replace(/q|ck|c(?!h)/g, 'k')
    .replace(/z/g, 's')
    .replace(/x/g, 'ks')
    .replace(/ou|oo/g, 'u')
    .replace(/ee/g, 'i')
    .replace(/[jy]/g, 'i')
    .replace(/o/g, 'u')
    .replace(/e/g, 'i')
    .replace(/(.)\1+/g, '$1');
  if (k.length >= 5 && k.endsWith('s')) k = k.slice(0, -1);
  return k;
}

/** Numbers and roman numerals ("Fund III", "Storm 2"): series members usually count as the same party. */
const NUMBER_WEIGHT = 0.3;

/** Weight of a token in the score. */
export function tokenWeight(t: string): number {
  if (PARTICLES.has(t)) return 0.25;
  if (/^[0-9]+$/.test(t) || /^[ivx]{2,4}$/.test(t)) return NUMBER_WEIGHT;
  if (t.length === 1) return 0.3;
  if (t.length === 2) return 0.5;
  if (t.length === 3) return 0.8;
  return 1;
}

function makeToken(
  raw: string,
  abjad: boolean,
  cjk: boolean,
  key: string | undefined,
  alts: string[] | undefined,
  vowels: string | undefined,
  spelling: Spelling = NO_SPELLING,
): NameToken {
  const text = NICKNAMES[raw] ?? raw;
  const [p, s] = doubleMetaphone(text);
  const phonetic = p === s ? [p] : [p, s];
  return {
    text,
    weight: tokenWeight(text),
    phonetic: phonetic.filter(Boolean),
    abjad,
    skeleton: key ?? skeletonOf(text),
    skeletonAlts: alts ?? [],
    longVowels: vowels ?? '',
    initials: spelling.initials,
    abbrev: spelling.abbrev,
    ...(spelling.script ? { script: spelling.script } : {}),
    ...(spelling.native ? { native: spelling.native } : {}),
    ...(spelling.script === 'cyrillic' && russianAlt(text) !== text ? { altText: russianAlt(text) } : {}),
    variant: variantKey(text),
    cjk,
  };
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

/** Equal, or one typo apart in a word of 5+ letters. */
function sameWord(w: string | undefined, p: string): boolean {
  if (w === undefined) return false;
  return w === p || (p.length >= 5 && jaroWinkler(w, p) >= 0.9);
}

/** Splits raw text into ASCII lower-case words (transliterated). */
interface Words {
  words: string[];
  abjad: boolean[];
  cjk: boolean[];
  /** Phonetic key per word (undefined: derived from the word's text). */
  keys: Array<string | undefined>;
  alts: Array<string[] | undefined>;
  vowels: Array<string | undefined>;
  spellings: Spelling[];
}

/** How a word was written: its hyphenated parts' initials, dotted letters, a non-Latin script. */
interface Spelling {
  initials: string;
  abbrev: boolean;
  script?: NameScript;
  native?: string;
}
const NO_SPELLING: Spelling = { initials: '', abbrev: false };
const ARABIC_SPELLING: Spelling = { ...NO_SPELLING, script: 'arabic' };

/** "jean-claude" -> initials "jc"; "j.-c.", "u.s." -> an abbreviation. */
function spellingOf(chunk: string): Spelling {
  if (/^[a-z](?:\.[-‐]?[a-z])+\.?$/.test(chunk)) return { initials: '', abbrev: true };
  const parts = chunk.split(/[-‐‑–—―]/);
  if (parts.length >= 2 && parts.every((x) => /^[a-z]{2,}$/.test(x)))
    return { initials: parts.map((x) => x[0]).join(''), abbrev: false };
  return NO_SPELLING;
}

/**
 * Records the script form of the words just read from one non-Latin piece: the piece itself for
 * one word, one character per syllable for Han/Kana (a romanisation merges what the script keeps
 * apart: 高石 / 高市 are both "gao shi", 김종은 / 김정은 both "kim jong un").
 */
function nativeForms(piece: string, script: NameScript, spellings: Spelling[], from: number): void {
  const n = spellings.length - from;
  const chars = [...piece.toLowerCase()].filter((c) => /\p{L}/u.test(c));
  for (let i = 0; i < n; i++) {
    const native = n === 1 ? chars.join('') : chars.length === n ? chars[i] : undefined;
    spellings[from + i] = { ...spellings[from + i]!, script, ...(native ? { native } : {}) };
  }
}

/** Russian transcription of an Arabic or Persian name read back: kh -> h, dzh -> j, vowel + u -> w. */
const russianAlt = (t: string): string =>
  t
    .replace(/dzh/g, 'j')
    .replace(/kh/g, 'h')
    .replace(/([aeio])u(?=[^aeiou])/g, '$1w');

function words(raw: string, transliterate: boolean): Words {
  const out: string[] = [];
  const abjad: boolean[] = [];
  const cjk: boolean[] = [];
  const keys: Array<string | undefined> = [];
  const alts: Array<string[] | undefined> = [];
  const vowels: Array<string | undefined> = [];
  const spellings: Spelling[] = [];
  const pieces = matchingText(raw)
    .normalize('NFKC')
    .split(/[\s,;/()[\]{}<>«»"“”„|:+_]+/);
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    if (!piece) continue;
    if (transliterate && ARABIC_SCRIPT.test(piece)) {
      // A run of Arabic-script words is romanised together ("Abd" + "al-X" is one name part).
      let run = piece;
      while (p + 1 < pieces.length && ARABIC_SCRIPT.test(pieces[p + 1]!)) run += ` ${pieces[++p]!}`;
      for (const t of romanizeArabic(run)) {
        out.push(t.text);
        abjad.push(true);
        cjk.push(false);
        keys.push(t.key);
        alts.push(t.alts);
        vowels.push(t.vowels);
        spellings.push(ARABIC_SPELLING);
      }
      continue;
    }
    const isAbjad = ABJAD.test(piece);
    const isCjk = HAN.test(piece);
    const syllabic = CJK.test(piece);
    // NFKD would split Hangul syllables into jamo; those scripts go to any-ascii as they are.
    let t = anyAscii(syllabic ? piece : piece.normalize('NFKD').replace(COMBINING, ''));
    // Han/Kana come out as capitalised syllables ("JinZhengEn"): one token per syllable (Hangul words stay whole).
    if (isCjk) t = t.replace(/([a-z])([A-Z])/g, '$1 $2');
    // Hangul comes out in Revised Romanization; names are usually written the older way ("Gim Jeong Eun" -> "Kim Jong Un").
    if (HANGUL.test(piece))
      t = t.replace(/\b([A-Za-z]+)/g, (w) =>
        w.replace(/^G/, 'K').replace(/^B/, 'P').replace(/^D/, 'T').replace(/eo/gi, 'o').replace(/eu/gi, 'u'),
      );
    t = t.toLowerCase();
    t = t.replace(NUMBER_WORDS, (w) => numberWord(w));
    t = t.replace(/&/g, ' and ');
    // Arabic article: "al-Assad" / "el-Assad" -> "al assad" (the article is a particle).
    // Also its assimilated forms ("at-Tawhid", "an-Nusra", Russian "ат-", "аль-") and "wal-" /
    // Russian "валь-" ("and the": wa + al, as the Arabic-script والـ reads).
    t = t.replace(/(^|[^a-z])(?:wal|val)'?[-‐]/g, '$1wa al ');
    t = t.replace(/(^|[^a-z])(al|el|ul|ad|as|ash|az|at|an|ar)'?[-‐]/g, '$1$2 ');
    // Digits used as letters inside words ("Ig0r Sech1n").
    t = t.replace(/[a-z]*[0-9][a-z0-9]*/g, (w) =>
      /[a-z]/.test(w) && !/^[0-9]+(st|nd|rd|th)$/.test(w)
        ? w
            .replace(/0/g, 'o')
            .replace(/1/g, 'i')
            .replace(/3/g, 'e')
            .replace(/4/g, 'a')
            .replace(/5/g, 's')
            .replace(/9/g, 'g')
        : w,
    );
    // Apostrophes, dots and hyphens glue ("ky'ong" -> "kyong", "p.l.c." -> "plc", "jong-un" ->
    // "jongun"); how the word was written is kept (initials of its parts, dotted letters).
    const script = scriptsOf(piece)[0];
    const from = out.length;
    for (const chunk of t.split(/[^a-z0-9'`´‘’.\-‐-―]+/)) {
      const w = chunk.replace(/['`´‘’.\-‐-―]/g, '');
      if (w) {
        out.push(w);
        abjad.push(isAbjad);
        cjk.push(isCjk);
        keys.push(transliterate ? latinAbjadKey(w) : undefined);
        alts.push(undefined);
        vowels.push(undefined);
        spellings.push(spellingOf(chunk));
      }
    }
    if (script && script !== 'latin' && script !== 'other') nativeForms(piece, script, spellings, from);
  }
  return { words: out, abjad, cjk, keys, alts, vowels, spellings };
}

/** Normalises a name: transliteration, case, punctuation, honorifics, legal forms, name order. */
export function normalizeName(
  raw: string,
  kind: EntityKind = 'unknown',
  opts: NormalizeOptions = {},
): NormalizedName {
  const transliterate = opts.transliterate ?? true;
  const removed: string[] = [];
  const ordered = kind === 'organization' || kind === 'vessel' ? raw : reorderSurnameFirst(raw);
  const { words: ws, abjad, cjk, keys, alts, vowels, spellings } = words(ordered, transliterate);
  let keep = ws.map((w, i) => ({
    w,
    abjad: abjad[i] ?? false,
    cjk: cjk[i] ?? false,
    key: keys[i],
    alts: alts[i],
    vowels: vowels[i],
    spelling: spellings[i],
  }));
  // Honorifics (only when something else remains).
  // Romanised abjad words are never titles or legal forms ("mr" is عمر, Omar).
  const isHonorific = (k: { w: string; abjad: boolean }) => !k.abjad && HONORIFICS.has(k.w);
  const noHon = keep.filter((k) => !isHonorific(k));
  if (noHon.length > 0 && noHon.length < keep.length) {
    for (const k of keep) if (isHonorific(k)) removed.push(k.w);
    keep = noHon;
  }
  const compact = keep.map((k) => k.spelling?.native ?? k.w).join('');
  // Legal phrases, then single legal-form words.
  for (const phrase of LEGAL_PHRASES_LONGEST_FIRST) {
    for (let i = 0; i + phrase.length <= keep.length; i++) {
      if (phrase.every((p, j) => sameWord(keep[i + j]?.w, p)) && keep.length > phrase.length) {
        removed.push(phrase.join(' '));
        keep.splice(i, phrase.length);
        i--;
      }
    }
  }
  const isLegal = (w: string) =>
    (LEGAL_FORMS.has(w) && (kind !== 'person' || w.length > 2)) ||
    (w.length >= 6 && LONG_LEGAL.some((l) => jaroWinkler(w, l) >= 0.93));
  const noLegal = keep.filter((k) => k.abjad || !isLegal(k.w));
  if (noLegal.length > 0 && noLegal.length < keep.length) {
    for (const k of keep) if (!noLegal.includes(k)) removed.push(k.w);
    keep = noLegal;
  }
  const tokens = keep.map((k) => makeToken(k.w, k.abjad, k.cjk, k.key, k.alts, k.vowels, k.spelling));
  for (let i = 0; i < tokens.length; i++) {
    if (PATRONYMIC.has(tokens[i]!.text)) {
      if (i > 0 && !tokens[i - 1]!.role) tokens[i - 1]!.role = 'given';
      if (i + 1 < tokens.length) tokens[i + 1]!.role = 'father';
    }
  }
  const scripts = scriptsOf(raw);
  const romanizations: string[] = [];
  if (scripts.some((x) => x !== 'latin')) {
    romanizations.push(tokens.map((t) => t.text).join(' '));
    if (tokens.some((t) => t.abjad))
      romanizations.push(`key: ${tokens.map((t) => t.skeleton || '-').join(' ')}`);
  }
  return { original: raw, kind, tokens, compact, removed, scripts, romanizations };
}
