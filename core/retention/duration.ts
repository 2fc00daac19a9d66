/**
 * ISO 8601 durations for retention periods: `P7Y`, `P18M`, `P30D`, `PT1H30M`, `PT2S`. A year
 * counts 365 days and a month 30 days (fixed lengths: an expiry must not depend on the calendar).
 * Negative, zero and fractional-calendar forms are rejected.
 */
const RE = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export const SECONDS = {
  year: 365 * 86400,
  month: 30 * 86400,
  week: 7 * 86400,
  day: 86400,
  hour: 3600,
  minute: 60,
};

/** Seconds in an ISO 8601 duration, or an error message. */
export function parseDuration(text: string): { seconds: number } | { error: string } {
  const t = text.trim();
  if (t.startsWith('-')) return { error: `"${text}" is negative: a retention period must be positive` };
  const m = RE.exec(t);
  if (!m || t === 'P' || t.endsWith('T')) {
    return { error: `"${text}" is not an ISO 8601 duration (e.g. P7Y, P30D, PT2S)` };
  }
  const n = (i: number) => Number(m[i] ?? 0);
  const seconds =
    n(1) * SECONDS.year +
    n(2) * SECONDS.month +
    n(3) * SECONDS.week +
    n(4) * SECONDS.day +
    n(5) * SECONDS.hour +
    n(6) * SECONDS.minute +
    n(7);
  if (!(seconds > 0)) return { error: `"${text}" is zero: a retention period must be positive` };
  return { seconds: Math.ceil(seconds) };
}

/** Human form of a number of seconds, e.g. `5y`, `30d`, `2s`. */
export function formatSeconds(s: number): string {
  if (s % SECONDS.year === 0) return `${s / SECONDS.year}y`;
  if (s % SECONDS.day === 0) return `${s / SECONDS.day}d`;
  if (s % SECONDS.hour === 0) return `${s / SECONDS.hour}h`;
  if (s % SECONDS.minute === 0) return `${s / SECONDS.minute}m`;
  return `${s}s`;
}
