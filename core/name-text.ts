/**
 * Names as people see them. Bidirectional embeddings, overrides and isolates (U+202A-202E,
 * U+2066-2069) make a name display differently from its text ("‮vorteP navI" shows as a listed
 * name), so names containing them are refused; characters that render as nothing are removed
 * for matching (the stored name keeps them for display).
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/;

/** Zero-width space, ZWJ, word joiner, BOM, soft hyphen, LRM, RLM, ALM, Mongolian vowel separator. */
const INVISIBLE = /\u200D|[\u200B\u2060\uFEFF\u00AD\u200E\u200F\u061C\u180E]/g;
const ARABIC_LETTER = /[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFC]/;

/**
 * The text of a name for matching: invisible characters removed; ZWNJ (U+200C), which Persian
 * writes inside names ("محمد‌رضا"), a word boundary next to Arabic-script letters and removed
 * elsewhere.
 */
export function matchingText(raw: string): string {
  return raw
    .replace(INVISIBLE, '')
    .replace(/\u200C/g, (_zwnj, at: number, s: string) =>
      ARABIC_LETTER.test(s[at - 1] ?? '') || ARABIC_LETTER.test(s[at + 1] ?? '') ? ' ' : '',
    );
}

/** Why a name cannot be screened as given (one line, without the name), or null. */
export function nameTextProblem(raw: string): string | null {
  const bidi = BIDI_CONTROLS.exec(raw);
  if (bidi) {
    const code = bidi[0].codePointAt(0)!.toString(16).toUpperCase();
    return `name contains the bidirectional control character U+${code}, which makes it display differently from its text; remove it`;
  }
  if (matchingText(raw).trim() === '') return 'name is empty (only invisible characters)';
  return null;
}
