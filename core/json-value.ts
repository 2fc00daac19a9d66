import { z } from 'zod';

/** A JSON value that survives canonicalisation and PostgreSQL jsonb unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// jsonb cannot store U+0000 and lone surrogates are not valid UTF-8.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be rejected
const UNSAFE_STRING = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const jsonString = z.string().refine((s) => !UNSAFE_STRING.test(s), {
  message: 'contains a NUL character or a lone surrogate, which JSON storage cannot keep',
});

/** zod schema for JSON-safe values: finite numbers, no undefined, no NUL characters, plain objects. */
export const JsonValueSchema: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    jsonString,
    z.number().finite(),
    z.boolean(),
    z.null(),
    z.array(JsonValueSchema),
    z.record(jsonString, JsonValueSchema),
  ]),
);

export const JsonObjectSchema = z.record(jsonString, JsonValueSchema);
export type JsonObject = z.infer<typeof JsonObjectSchema>;

const OBJECT_PROTO = Object.prototype;

function jsonSafe(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case 'string':
      return !UNSAFE_STRING.test(v);
    case 'number':
      return Number.isFinite(v) && (!Number.isInteger(v) || Number.isSafeInteger(v));
    case 'boolean':
      return true;
    case 'object':
      if (v === null) return true;
      if (depth > 1000) return false;
      if (Array.isArray(v)) {
        for (const x of v) if (!jsonSafe(x, depth + 1)) return false;
        return true;
      }
      return plainObjectSafe(v, depth);
    default:
      return false;
  }
}

function plainObjectSafe(v: object, depth: number): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== OBJECT_PROTO && proto !== null) return false;
  for (const k of Object.keys(v)) {
    if (k === '__proto__' || UNSAFE_STRING.test(k)) return false;
    if (!jsonSafe((v as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/**
 * Fast check, without building a copy: true only for a plain object that {@link JsonObjectSchema}
 * accepts unchanged and that is I-JSON (safe integers). False means "ask zod" (for the
 * message), not necessarily invalid. The append path runs it on every payload.
 */
export function isJsonSafeObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && plainObjectSafe(v, 0);
}
