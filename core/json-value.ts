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
