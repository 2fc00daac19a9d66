/**
 * RFC 8785 (JCS) canonical JSON. Callers must validate first: like the `json-canonicalize`
 * library it replaces (and is property-tested against, test/ledger-canonical.test.ts), it drops
 * `undefined` members, writes `undefined` array elements as null and serialises a value with a
 * `toJSON` method through `JSON.stringify` (the library does that for any `toJSON` member, which
 * left an object with a member named "toJSON" unsorted); hashed data has to be exactly what was validated.
 * Hand-written because the library builds a path string per member (5x slower on the append
 * and verify paths, where it was the largest single cost).
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, 0);
}

const MAX_DEPTH = 5000;

/** Member names as JSON strings: the same few names recur in every event. */
const NAMES = new Map<string, string>();

function name(k: string): string {
  let s = NAMES.get(k);
  if (s === undefined) {
    s = JSON.stringify(k);
    if (NAMES.size < 10_000) NAMES.set(k, s);
  }
  return s;
}

function serialise(v: unknown, depth: number): string {
  if (typeof v === 'string') return JSON.stringify(v);
  // Only a toJSON *method* (a Date, say) decides the form: parsed JSON may hold a member named "toJSON".
  if (v === null || typeof v !== 'object' || typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    if (typeof v === 'number' && !Number.isFinite(v))
      throw new TypeError(`Non-finite number (${v}) is not permitted in JSON (RFC 8785 §3.2.2.3)`);
    const s = JSON.stringify(v) as string | undefined;
    if (s === undefined) throw new TypeError('value cannot be canonicalised as JSON');
    return s;
  }
  if (depth > MAX_DEPTH) throw new TypeError('value is nested too deeply (or circular) to canonicalise');
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out += ',';
      const el: unknown = v[i];
      out += el === undefined ? 'null' : serialise(el, depth + 1);
    }
    return `${out}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 1) keys.sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += name(k);
    out += ':';
    out += serialise(x, depth + 1);
  }
  return `${out}}`;
}

/** Thrown by {@link parseStrictJson} and {@link checkIJson}; the message names the offending member. */
export class StrictJsonError extends Error {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function where(path: string): string {
  return path === '' ? '(root)' : path;
}

/**
 * Checks an already-parsed value against I-JSON (RFC 7493): no lone surrogates in strings or
 * member names, no integers outside ±(2^53−1) (send those as strings). Throws naming the field.
 */
export function checkIJson(value: unknown, path = ''): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) throw new StrictJsonError(`${where(path)}: contains a lone surrogate`);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new StrictJsonError(`${where(path)}: not a finite number`);
    if (Number.isInteger(value) && !Number.isSafeInteger(value))
      throw new StrictJsonError(
        `${where(path)}: integer outside ±(2^53−1) cannot be represented exactly (send it as a string)`,
      );
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkIJson(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = path === '' ? k : `${path}.${k}`;
      if (LONE_SURROGATE.test(k))
        throw new StrictJsonError(`${where(path)}: a member name contains a lone surrogate`);
      checkIJson(v, p);
    }
  }
}

/**
 * Parses JSON text strictly as I-JSON: a duplicated member name, a lone surrogate (also when
 * written as a `\u` escape) or an integer outside ±(2^53−1) is an error naming the field, where
 * `JSON.parse` would silently keep the last duplicate or round the number.
 */
export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (msg: string): never => {
    throw new StrictJsonError(msg);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const value = (path: string): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`${where(path)}: expected a member name at offset ${i}`);
        const key = str(path);
        const p = path === '' ? key : `${path}.${key}`;
        if (seen.has(key)) fail(`${p}: duplicate member`);
        seen.add(key);
        ws();
        if (text[i] !== ':') fail(`${p}: expected ':' at offset ${i}`);
        i++;
        Object.defineProperty(out, key, {
          value: value(p),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return out;
        }
        fail(`${where(path)}: expected ',' or '}' at offset ${i}`);
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(`${path}[${out.length}]`));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return out;
        }
        fail(`${where(path)}: expected ',' or ']' at offset ${i}`);
      }
    }
    if (c === '"') return str(path);
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m && m[0] !== '') {
      i += m[0].length;
      const n = Number(m[0]);
      checkIJson(n, path);
      return n;
    }
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return v;
      }
    }
    return fail(`${where(path)}: invalid JSON at offset ${i}`);
  };
  const str = (path: string): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail(`${where(path)}: unterminated string`);
      if (c === '"') break;
      if (c === '\\') i++;
      else if ((c as string) < ' ') fail(`${where(path)}: control character in a string`);
      i++;
    }
    i++;
    let s: string;
    try {
      s = JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail(`${where(path)}: invalid string escape`);
    }
    if (LONE_SURROGATE.test(s)) fail(`${where(path)}: contains a lone surrogate`);
    return s;
  };
  const out = value('');
  ws();
  if (i !== text.length) fail(`unexpected text after the JSON value at offset ${i}`);
  return out;
}
