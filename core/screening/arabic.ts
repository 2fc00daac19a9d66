/**
 * Arabic-script names (Arabic, Persian, Urdu letters) for matching against Latin
 * transliterations. Arabic is written without short vowels, and Latin lists spell the same
 * name many ways (Muhammad / Mohammed / Mohamed, al- / el- / ul, Abd al / Abdul), so a token
 * carries two forms: a readable romanisation (for explanations and string similarity) and a
 * phonetic key (consonant classes, no vowels, no article) that a Latin token reduces to as well.
 */

/**
 * Letter → [romanisation, key class, alternative class]. Key classes merge letters that Latin
 * lists confuse; the alternative is the other common reading (ث th/s as in Persian and Urdu,
 * ذ ظ ض read as z,).
 */
const LETTERS: Record<string, [string, string, ...string[]]> = {
  ا: ['a', ''],
  أ: ['a', ''],
  إ: ['i', ''],
  آ: ['a', ''],
  ٱ: ['a', ''],
  ء: ['', ''],
  ؤ: ['', ''],
  ئ: ['', ''],
  ع: ['', ''],
  ب: ['b', 'b'],
  پ: ['p', 'b'],
  ت: ['t', 't'],
  ط: ['t', 't'],
  ٹ: ['t', 't'],
  ث: ['th', 't', 's'],
  ج: ['j', 'j'],
  چ: ['ch', 'x'],
  ژ: ['zh', 's'],
  گ: ['g', 'j'],
  غ: ['gh', 'j'],
  ح: ['h', 'h'],
  ه: ['h', 'h'],
  ہ: ['h', 'h'],
  ھ: ['h', 'h'],
  خ: ['kh', 'k'],
  ك: ['k', 'k'],
  ک: ['k', 'k'],
  ق: ['q', 'k'],
  د: ['d', 'd'],
  ض: ['d', 'd', 's'],
  ذ: ['dh', 'd', 's', 't'],
  ڈ: ['d', 'd'],
  ر: ['r', 'r'],
  ڑ: ['r', 'r'],
  ز: ['z', 's'],
  ظ: ['z', 's', 'd', 't'],
  س: ['s', 's'],
  ص: ['s', 's'],
  ش: ['sh', 'x'],
  ف: ['f', 'f'],
  ل: ['l', 'l'],
  م: ['m', 'm'],
  ن: ['n', 'n'],
  ں: ['n', 'n'],
  ة: ['a', ''],
  ى: ['a', ''],
  ے: ['e', ''],
  ە: ['a', ''],
  ۀ: ['a', ''],
  // Pashto and Kurdish letters, read like their nearest Arabic/Persian letter.
  ټ: ['t', 't'],
  ډ: ['d', 'd'],
  ړ: ['r', 'r'],
  ڕ: ['r', 'r'],
  ڼ: ['n', 'n'],
  ښ: ['sh', 'x', 'k'],
  ږ: ['zh', 's', 'j'],
  ځ: ['dz', 's', 'j'],
  څ: ['ts', 's', 'x'],
  ڤ: ['v', ''],
  ڵ: ['l', 'l'],
  ګ: ['g', 'j'],
};
/** Letters that are a consonant at the start of a word and a long vowel elsewhere. */
/** Letters that start a name with a vowel in Latin. */
const VOWEL_START = new Set(['ا', 'أ', 'إ', 'آ', 'ٱ', 'ع', 'ء', 'ئ', 'ؤ']);
const WAW = new Set(['و', 'ۆ', 'ۇ']);
const YEH = new Set(['ي', 'ی', 'ې', 'ۍ']);
const ALIF = new Set(['ا', 'أ', 'إ', 'آ', 'ٱ']);
/** Harakat, tanwin, shadda, sukun, superscript alif, tatweel: not written in most names. */
const isMark = (cp: number): boolean =>
  (cp >= 0x064b && cp <= 0x065f) || cp === 0x0670 || cp === 0x0640 || (cp >= 0x06d6 && cp <= 0x06ed);
const dropMarks = (s: string): string => [...s].filter((c) => !isMark(c.codePointAt(0) ?? 0)).join('');

/** Arabic-script letters (Arabic, Persian, Urdu and presentation forms). */
export const ARABIC_SCRIPT = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]/;

/** One romanised Arabic-script word. */
export interface ArabicToken {
  /** Readable romanisation, e.g. "hsin" for حسين (long vowels only; short vowels are not written). */
  text: string;
  /** Phonetic key: consonant classes without vowels or article, e.g. "hsn". */
  key: string;
  /**
   * Other plausible keys, when there are any: the letters' alternative readings (ث as s, ظ as d
   * or th...), two letters Latin writes as one digraph (س+ه as "sh", ك+ح as "kh"), a final ة read
   * as -t (the construct state: Jamiat, Nusrat), ك as g in a name written with Persian letters.
   */
  alts?: string[];
  /** Long vowels written inside the word: "i" for ي/ی, "u" for و (a Latin spelling shows them too). */
  vowels?: string;
}

/** Letters only Persian, Urdu and Pashto write: a name carrying one is read the Persian way. */
export const PERSIAN_LETTERS = /[پچژگکیےہھٹڈڑںټډړڼښږځڅګ]/;

/** Two key classes Latin writes as one digraph: k+h "kh", s+h "sh", t+h "th", d+h "dh", j+h "gh". */
const digraphs = (key: string): string => key.replace(/([kstdj])h/g, (_, c: string) => (c === 's' ? 'x' : c));

function romanizeLetters(word: string, persian = false): ArabicToken {
  let text = '';
  let key = '';
  const alt: [string, string] = ['', ''];
  let vowels = '';
  const chars = [...word];
  chars.forEach((c, i) => {
    const prevVowel = i > 0 && (ALIF.has(chars[i - 1]!) || WAW.has(chars[i - 1]!));
    const medial = i > 0 && !prevVowel && i < chars.length - 1;
    if (WAW.has(c)) {
      text += i === 0 || prevVowel ? 'w' : 'u';
      if (medial) vowels += 'u';
    } else if (YEH.has(c)) {
      text += i === 0 || prevVowel ? 'y' : 'i';
      if (medial) vowels += 'i';
    } else {
      const m = LETTERS[c];
      if (!m) return;
      text += m[0];
      key += m[1];
      alt[0] += m[2] ?? m[1];
      alt[1] += m[3] ?? m[2] ?? m[1];
    }
  });
  const finalH = /[هةہ]$/.test(word);
  // Initial و is w, v (Persian) or the vowel of French "Ould", "Oussama": either start.
  const pre = VOWEL_START.has(chars[0] ?? '') ? '_' : WAW.has(chars[0] ?? '') ? '*' : '';
  // Final ي is -i; Persian ی is -i in most names but also the alif maqsura of عیسی, موسی (-a);
  // ى (typed for both) and a final ع (Sami', Samie, Samia) take either ending.
  const last = chars[chars.length - 1] ?? '';
  const post = last === 'ی' ? '~' : last === 'ى' || last === 'ع' ? '%' : YEH.has(last) ? '+' : '';
  const full = (k: string) => pre + finishKey(k, finalH) + post;
  const k = full(key);
  const others = [
    ...alt.map(full),
    full(digraphs(key)),
    ...(last === 'ة' ? [full(`${key}t`)] : []),
    ...(persian && /[كک]/.test(word) ? [full(key.replace(/k/g, 'j'))] : []),
  ];
  const alts = [...new Set(others)].filter((a) => a !== k);
  return { text, key: k, ...(alts.length ? { alts } : {}), ...(vowels ? { vowels } : {}) };
}

/**
 * Keys carry markers: `_` first = the name starts with a vowel (ا أ إ ع in Arabic, a e i o u in
 * Latin), `+` last = it ends in an i-vowel (nisba ي / -i, -y), `^` first = an Arabic word that
 * followed the article (its Latin spelling may carry it glued: "almajid", "essaadi"), `~` last =
 * either ending, the -i more likely (Persian final ی), `%` last = either ending (ى, final ع), `*`
 * first = either start (initial و).
 */
const MARKERS = /[_+~%^*]/g;

/** The consonant classes of a key, without markers. */
export const keyCore = (k: string): string => k.replace(MARKERS, '');

/** A key as indexed and looked up: no markers, a final h optional (see keySimilarity). */
export const lookupKey = (k: string): string => keyCore(k).replace(/(.)h$/, '$1');

/** Joins the keys of adjacent tokens ("hdt" + "_l" for هدايت الله against "hidayatullah"). */
export function joinKeys(keys: string[]): string {
  if (keys.length === 0) return '';
  const core = keys
    .map(keyCore)
    .join('')
    .replace(/(.)\1+/g, '$1');
  const first = keys[0]!;
  const pre = first === '' && keys.length > 1 ? '^' : first.replace(/\^/, '').startsWith('_') ? '_' : '';
  return pre + core + (/[+~%]$/.exec(keys[keys.length - 1]!)?.[0] ?? '');
}

/** Collapses doubled classes; a word-final h (ha, ta marbuta) is often not written in Latin. */
function finishKey(key: string, finalH: boolean): string {
  let k = key.replace(/(.)\1+/g, '$1');
  if (finalH && k.length > 1 && k.endsWith('h')) k = k.slice(0, -1);
  return k;
}

/** "Abd" + the next name's key: ع starts it with a vowel, the article in between is dropped. */
const abdKey = (k: string): string => `_bd${k.replace(/^[_^*]+/, '')}`;
const withAlts = (r: ArabicToken): { alts?: string[] } => (r.alts ? { alts: r.alts.map(abdKey) } : {});

const TITLES = new Set([
  'ملا',
  'مولوي',
  'مولوی',
  'مولوى',
  'مولانا',
  'حاجي',
  'حاجی',
  'حاجى',
  'الحاج',
  'قاري',
  'قاری',
  'قارى',
  'الشيخ',
  'شيخ',
  'شیخ',
  'الشیخ',
  'دكتور',
  'الدكتور',
  'مهندس',
  'المهندس',
]);

/**
 * Second parts of compound names written glued to the first (نورالدين Nur al-Din, شمس‌الحق,
 * فضل‌الرحمن): split, so the article inside is a particle as in the unglued spelling.
 */
const GLUED_COMPOUND =
  /^(.{2,}?)((?:ال|ٱل)(?:دين|دین|حق|رحمن|رحيم|رحیم|زمان|اسلام|إسلام|نبي|نبی|هدى|هدی|امين|امین|عابدين|عابدین))$/;

/** A preposition glued to the article: بالدم bi-l-dam, فالخير, كالX, and لل (li + al, its alif not written). */
const PREPOSITION_ARTICLE = /^(?:([بفك])ال|(ل)ل)(..+)$/;
const PREPOSITION_KEY: Record<string, string> = { ب: 'b', ف: 'f', ك: 'k', ل: 'l' };
const PREPOSITION_TEXT: Record<string, string> = { ب: 'bil', ف: 'fil', ك: 'kal', ل: 'lil' };

const ARTICLE = /^(?:ال|ٱل)(?=..)/;

/**
 * Romanises one Arabic-script name into tokens: the article al- becomes its own particle,
 * "Abd al X" (and عبدالX) one token whose key ignores the article, so it meets Latin
 * "Abdul X", "Abdel X", "Abd al-X", "Abdulx" alike.
 */
export function romanizeArabic(raw: string): ArabicToken[] {
  const persian = PERSIAN_LETTERS.test(raw);
  const letters = (w: string) => romanizeLetters(w, persian);
  const words = raw
    .normalize('NFKC')
    .replace(/./gu, (c) => dropMarks(c))
    .split(/[^\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF]+/)
    .filter(Boolean);
  const out: ArabicToken[] = [];
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    if (w === 'الله' || w === 'اللہ') {
      out.push({ text: 'allah', key: '_l' });
      continue;
    }
    // Glued "Abd al-": عبدالله, عبدالرحمن.
    const glued = /^عبد(?:ال|ٱل)(.+)$/.exec(w);
    if (w === 'عبد' && i + 1 < words.length) {
      const next = words[i + 1]!;
      const rest = next === 'الله' ? null : next.replace(ARTICLE, '');
      const r = rest === null ? { text: 'allah', key: 'l' } : letters(rest);
      out.push({ text: `abdal${rest === null ? 'lah' : r.text}`, key: abdKey(r.key), ...withAlts(r) });
      i++;
      continue;
    }
    if (glued) {
      const r = glued[1] === 'له' ? { text: 'lah', key: 'l' } : letters(glued[1]!);
      out.push({ text: `abdal${r.text}`, key: abdKey(r.key), ...withAlts(r) });
      continue;
    }
    const compound = GLUED_COMPOUND.exec(w);
    if (compound) {
      words.splice(i + 1, 0, compound[2]!);
      w = compound[1]!;
    }
    // One token, like "Abd al-": the preposition's consonant and the word's key ("bdm" meets
    // Latin "biddam", "bi al-dam"); the article's l kept as an alternative ("bildam").
    const prep = PREPOSITION_ARTICLE.exec(w);
    if (prep) {
      const p = (prep[1] ?? prep[2])!;
      const r = letters(prep[3]!);
      const body = (k: string) => k.replace(/^[_^*]+/, '');
      const keys = [r.key, ...(r.alts ?? [])];
      const key = `${PREPOSITION_KEY[p]!}${body(r.key)}`;
      const alts = [
        ...keys.slice(1).map((k) => `${PREPOSITION_KEY[p]!}${body(k)}`),
        ...keys.map((k) => `${PREPOSITION_KEY[p]!}l${body(k)}`),
      ];
      out.push({ text: `${PREPOSITION_TEXT[p]!}${r.text}`, key, alts: alts.filter((a) => a !== key) });
      continue;
    }
    // Titles, dropped like their Latin forms (Mullah, Haji, Mawlawi, Qari, Sheikh, Doctor).
    if (TITLES.has(w) || TITLES.has(w.replace(ARTICLE, ''))) continue;
    const article = ARTICLE.test(w);
    if (article) {
      out.push({ text: 'al', key: '' });
      w = w.replace(ARTICLE, '');
    }
    // "and the": والجهاد is wa + al + jihad (Latin "wal-Jihad", "wa al-Jihad").
    if (/^و(?:ال|ٱل)(?=..)/.test(w)) {
      out.push({ text: 'wa', key: '' });
      words.splice(i + 1, 0, w.slice(1));
      continue;
    }
    if (w === 'آل') {
      out.push({ text: 'al', key: '' });
      continue;
    }
    if (w === 'بن' || w === 'ابن' || w === 'بنت') {
      out.push({ text: w === 'بنت' ? 'bint' : w === 'ابن' ? 'ibn' : 'bin', key: 'bn' });
      continue;
    }
    if (w === 'ابو' || w === 'أبو' || w === 'ابا' || w === 'أبا') {
      out.push({ text: 'abu', key: '_b' });
      continue;
    }
    // Glued "Abu al-X": أبواليزيد.
    const abu = /^[اأ]بو(?=...)/.exec(w);
    if (abu && !article) {
      out.push({ text: 'abu', key: '_b' });
      words.splice(i + 1, 0, w.slice(abu[0].length));
      continue;
    }
    const r = letters(w);
    if (article) {
      r.key = `^${r.key}`;
      if (r.alts) r.alts = r.alts.map((a) => `^${a}`);
    }
    if (r.text) out.push(r);
  }
  return out;
}

/**
 * The phonetic key of a Latin name token, in the same classes as {@link romanizeArabic}'s keys:
 * vowels, w/v/y and apostrophes dropped, digraphs folded (kh→k, sh→x, th→t, dh→d, gh→j), the
 * article inside "abdul"/"abdel"/"abdur" dropped, doubled letters collapsed.
 */
export function latinAbjadKey(t: string): string {
  const s = t
    .replace(/^abd[aeiou]l/, 'abd')
    .replace(/^abd[aeiou](?=([rstdzn])\1)/, 'abd')
    .replace(/^(?:al|el|ul)$/, '')
    .replace(/x/g, 'ks')
    .replace(/tsch|sch|tch|sh|ch/g, 'x')
    .replace(/kh|ck|q|c/g, 'k')
    .replace(/gh|dj|g/g, 'j')
    .replace(/th/g, 't')
    .replace(/dh/g, 'd')
    .replace(/ph/g, 'f')
    .replace(/p/g, 'b')
    .replace(/z/g, 's')
    .replace(/[aeiouywv'`]/g, '');
  if (s === '') return '';
  // French "ou" before a vowel is w (Oualid); otherwise a leading vowel letter is a vowel (Oumar).
  const pre = /^[aeiou]/.test(t) && !/^ou[aeiy]/.test(t) ? '_' : '';
  const post = /(?:i|y|ee|ie|ey)$/.test(t) ? '+' : '';
  return pre + s.replace(/(.)\1+/g, '$1') + post;
}

/** Whether a Latin spelling shows the long vowels an Arabic-script word writes (حسین has i: Hussein, not Hassan). */
export function showsLongVowels(latin: string, vowels: string): boolean {
  const count = (re: RegExp) => (latin.slice(1).match(re) ?? []).length;
  const need = (v: string) => [...vowels].filter((x) => x === v).length;
  return count(/[iey]/g) >= need('i') && count(/[uow]/g) >= need('u');
}
