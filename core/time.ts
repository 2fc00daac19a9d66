/**
 * Ledger timestamps are integer microseconds since the Unix epoch, as PostgreSQL stores them.
 * They are hashed in this fixed ISO-8601 form so no JS Date round-trip can lose precision.
 */
export function formatMicros(micros: bigint | number | string): string {
  const us = BigInt(micros);
  const ms = us / 1000n;
  const rest = us % 1000n;
  const base = new Date(Number(ms)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${base.slice(0, 23)}${rest.toString().padStart(3, '0')}Z`;
}

/** Parses the form produced by {@link formatMicros} back into microseconds. */
export function parseMicros(iso: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z$/.exec(iso);
  if (!m) throw new TypeError(`not a microsecond UTC timestamp: ${iso}`);
  const seconds = BigInt(Date.parse(`${m[1]}Z`)) / 1000n;
  return seconds * 1_000_000n + BigInt(m[2] as string);
}
