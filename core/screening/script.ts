/** Writing systems the matcher tells apart (Unicode Script property, via RegExp `\p{Script=…}`). */
export type NameScript =
  'latin' | 'arabic' | 'cyrillic' | 'greek' | 'hebrew' | 'han' | 'hangul' | 'kana' | 'thai' | 'other';

const SCRIPTS: Array<[Exclude<NameScript, 'other'>, RegExp]> = [
  ['arabic', /\p{Script=Arabic}/u],
  ['cyrillic', /\p{Script=Cyrillic}/u],
  ['greek', /\p{Script=Greek}/u],
  ['hebrew', /\p{Script=Hebrew}/u],
  ['han', /\p{Script=Han}/u],
  ['hangul', /\p{Script=Hangul}/u],
  ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['thai', /\p{Script=Thai}/u],
  ['latin', /\p{Script=Latin}/u],
];

/** The scripts a text is written in, in order of first appearance ("other" for letters of none listed). */
export function scriptsOf(text: string): NameScript[] {
  // Most list names are ASCII: skip the per-letter lookups (index build time).
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return /[A-Za-z]/.test(text) ? ['latin'] : [];
  const out: NameScript[] = [];
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    const s = SCRIPTS.find(([, re]) => re.test(ch))?.[0] ?? 'other';
    if (!out.includes(s)) out.push(s);
  }
  return out;
}
