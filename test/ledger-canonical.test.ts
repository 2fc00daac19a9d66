import fc from 'fast-check';
import { canonicalize } from 'json-canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalJson, checkIJson } from '../core/canonical-json';
import { JsonObjectSchema, isJsonSafeObject } from '../core/json-value';
import type { CommittedEvent } from '../core/audit-event';
import { canonicalEnvelope, envelopeFields } from '../core/hash-chain';

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

  it('sorts an object with a member named toJSON like any other (only a toJSON method decides the form)', () => {
    expect(canonicalJson(JSON.parse('{"toJSON":1,"b":{"toJSON":null,"a":0},"a":2}'))).toBe(
      '{"a":2,"b":{"a":0,"toJSON":null},"toJSON":1}',
    );
  });

  it('refuses values JSON cannot hold instead of writing "undefined"', () => {
    expect(() => canonicalJson(undefined)).toThrow(/cannot be canonicalised as JSON/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/cannot be canonicalised as JSON/);
  });

  it('writes the envelope in its fixed member order with the same bytes as the generic canonicaliser', () => {
    const text = fc.string({ unit: 'binary' });
    const odd = fc.oneof(fc.integer(), fc.constant(undefined), fc.constant(null), fc.object());
    const maybe = <T>(a: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 8, arbitrary: a }, { weight: 1, arbitrary: odd });
    const pair = fc.oneof(
      { weight: 8, arbitrary: fc.record({ id: text, type: text }) },
      { weight: 1, arbitrary: fc.record({ id: text, type: text, extra: text }) },
      { weight: 1, arbitrary: fc.record({ id: odd, type: text }) },
    );
    const envelope = fc.record({
      stream: maybe(text),
      seq: fc.nat(),
      event_id: maybe(text),
      event_type: maybe(text),
      actor: maybe(pair),
      occurred_at: maybe(text),
      resource: maybe(pair),
      action: maybe(text),
      outcome: maybe(text),
      subject_id: maybe(fc.option(text)),
      case_id: maybe(fc.option(text)),
      context: maybe(fc.dictionary(text, fc.jsonValue())),
      schema_version: maybe(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
      idempotency_key: maybe(text),
    });
    fc.assert(
      fc.property(envelope, (e) => {
        const event = e as unknown as CommittedEvent;
        let generic: string | Error;
        try {
          generic = canonicalJson(envelopeFields(event));
        } catch (err) {
          generic = err as Error;
        }
        if (generic instanceof Error) expect(() => canonicalEnvelope(event)).toThrow(generic.message);
        else expect(canonicalEnvelope(event)).toBe(generic);
      }),
      { numRuns: 3000 },
    );
  });

  it('the fast payload check accepts only what the payload schema and the I-JSON check accept unchanged', () => {
    const slow = (v: unknown) => {
      const parsed = JsonObjectSchema.safeParse(v);
      if (!parsed.success) return false;
      try {
        checkIJson(v);
      } catch {
        return false;
      }
      return canonicalJson(parsed.data) === canonicalJson(v);
    };
    const payload = fc.oneof(
      fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
      fc.dictionary(fc.string(), fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true })),
      fc.anything(),
    );
    let accepted = 0;
    fc.assert(
      fc.property(payload, (v) => {
        if (isJsonSafeObject(v)) {
          accepted++;
          expect(slow(v)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300);
    expect(isJsonSafeObject({ a: [1, 'x', null, { b: true }], n: -0.5 })).toBe(true);
    for (const bad of [{ a: 'nul\u0000' }, { a: 2 ** 53 }, { a: Number.NaN }, { a: new Date(0) }, [1], null])
      expect(isJsonSafeObject(bad)).toBe(false);
  });
});
