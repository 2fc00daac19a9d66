import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';

describe('canonical JSON (RFC 8785) used for every hash', () => {
  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3 example)', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    const text = canonicalJson(value);
    const order = ['Carriage Return', 'One', 'Control', 'Latin Small', 'Euro Sign', 'Emoji', 'Hebrew'].map(
      (v) => text.indexOf(v),
    );
    expect(order.every((pos, i) => pos > 0 && (i === 0 || pos > (order[i - 1] as number)))).toBe(true);
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it('serialises numbers as ECMAScript does and refuses what JSON cannot hold', () => {
    expect(canonicalJson([0, -0, 1e21, 1e-7, 123.456, 9007199254740991])).toBe(
      '[0,0,1e+21,1e-7,123.456,9007199254740991]',
    );
    expect(canonicalJson('\u0001\u2028 "q" \\')).toBe('"\\u0001\u2028 \\"q\\" \\\\"');
    expect(() => canonicalJson(Number.NaN)).toThrow(/Non-finite number \(NaN\) is not permitted in JSON/);
  });

  it('matches the json-canonicalize library byte for byte on arbitrary JSON values', () => {
    // Members that are undefined are dropped, undefined array elements become null, as the library does.
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('any')),
        fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(tie('any'), fc.constant(undefined))),
      ),
    })).any;
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(canonicalize(v));
      }),
      { numRuns: 2000 },
    );
    expect(canonicalJson([1, undefined, { a: undefined, b: 2 }])).toBe(
      canonicalize([1, undefined, { a: undefined, b: 2 }]),
    );
    expect(canonicalJson({ d: new Date(0) })).toBe(canonicalize({ d: new Date(0) }));
  });

  it('refuses values JSON cannot hold instead of writing "undefined"', () => {
    expect(() => canonicalJson(undefined)).toThrow(/cannot be canonicalised as JSON/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot be canonicalised as JSON/);
  });
});
