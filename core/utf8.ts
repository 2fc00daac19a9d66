/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence, or -1. */
function firstInvalidByte(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const more =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (more < 0) return i;
    for (let k = 1; k <= more; k++) if (((b[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return -1;
}

/**
 * Decodes a file's bytes as UTF-8, or says in one line (for an InputError) where it is not, so a
 * Latin-1 / Windows-1252 file is refused instead of being read as mojibake (which can hit, or
 * miss, a listed name). Returns `{ text }` or `{ problem }`; a leading BOM is dropped.
 */
export function decodeUtf8(bytes: Uint8Array, name: string): { text: string } | { problem: string } {
  let bad = firstInvalidByte(bytes);
  let text = '';
  if (bad < 0) {
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    } catch {
      bad = 0;
    }
  }
  if (bad >= 0) {
    let line = 1;
    for (let i = 0; i < bad; i++) if (bytes[i] === 0x0a) line++;
    const hex = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
    return {
      problem: `${name} is not UTF-8 text (byte 0x${hex} on line ${line}; Latin-1 / Windows-1252?): convert it first, e.g. iconv -f latin1 -t utf-8 ${name} > utf8-${name.split('/').pop()}`,
    };
  }
  return { text };
}
