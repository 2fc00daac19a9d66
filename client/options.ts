import { InvalidArgumentError } from 'commander';

/**
 * The one parser of whole-number flags: digits only, within [min, max]; anything else is a usage
 * error (exit 2) that names the flag and the range, e.g. `--limit must be a whole number from 1 to 1000`.
 */
export function intOption(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const v = raw.trim();
    const n = /^-?\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

/**
 * The parser of decimal flags (shares, ratios): a plain decimal number within [min, max]; anything
 * else is a usage error (exit 2) naming the flag and the range.
 */
export function decimalOption(flag: string, min: number, max: number) {
  return (raw: string): number => {
    const v = raw.trim();
    const n = /^-?(\d{1,16}(\.\d{0,16})?|\.\d{1,16})$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}`);
    return n;
  };
}

/** A TCP port to listen on. */
export const portOption = (flag: string) => intOption(flag, 1, 65_535);

/** A Temporal run id (a UUID), checked before any call so a typo is a usage error (exit 2). */
export function runIdOption(flag: string) {
  return (raw: string): string => {
    const v = raw.trim();
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v))
      throw new InvalidArgumentError(`${flag} must be a run id (a UUID), as "history show" prints it`);
    return v.toLowerCase();
  };
}
