/** Header lines of a head that look like a stream line (`<word> <value>`). */
const HEADER_WORDS = new Set(['version', 'previous', 'timestamp']);

/**
 * Of the signed heads' texts (oldest first), those an incremental verification of `stream` from
 * `fromSeq` needs: the newest, and every head whose line for `stream` reaches `fromSeq` or that
 * cannot be read cheaply (no such line, an odd number). An older head only repeats checkpoints
 * below the verified range, which the verifier skips; the newest covers the most purges. Keeps
 * parsing proportional to the heads signed since `fromSeq`, not to the ledger's history.
 */
export function headsReaching(texts: string[], stream: string, fromSeq: number): string[] {
  if (HEADER_WORDS.has(stream)) return texts;
  const marker = `\n${stream} `;
  return texts.filter((text, i) => {
    if (i === texts.length - 1) return true;
    const at = text.indexOf(marker);
    if (at < 0) return true;
    const start = at + marker.length;
    const end = text.indexOf(' ', start);
    const digits = end < 0 ? '' : text.slice(start, end);
    if (!/^[1-9]\d{0,15}$/.test(digits)) return true;
    return Number(digits) >= fromSeq;
  });
}
