import { createHash } from 'node:crypto';
import { AuditEventInputSchema, describeZodError, type AuditEventInput } from '../core/audit-event';
import { StrictJsonError, canonicalJson, parseStrictJson } from '../core/canonical-json';
import { LedgerValidationError } from './errors';

/**
 * Parses JSONL events. Each line is an audit event; its idempotency key is the line's
 * `idempotency_key` field, or else `sha256:<hex SHA-256 of the line's canonical JSON>`, so
 * re-running the same file appends nothing twice.
 */
export function parseEventLines(
  text: string,
): Array<{ event: AuditEventInput; idempotencyKey: string; line: number }> {
  const out: Array<{ event: AuditEventInput; idempotencyKey: string; line: number }> = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let obj: unknown;
    try {
      obj = parseStrictJson(line);
    } catch (err) {
      if (err instanceof StrictJsonError) throw new LedgerValidationError(`line ${i + 1}: ${err.message}`);
      throw new LedgerValidationError(`line ${i + 1}: not valid JSON`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new LedgerValidationError(`line ${i + 1}: must be a JSON object`);
    const { idempotency_key: key, ...event } = obj as Record<string, unknown>;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0)) {
      throw new LedgerValidationError(`line ${i + 1}: idempotency_key must be a non-empty string`);
    }
    const parsed = AuditEventInputSchema.safeParse(event);
    if (!parsed.success) throw new LedgerValidationError(`line ${i + 1}: ${describeZodError(parsed.error)}`);
    const idempotencyKey =
      (key as string | undefined) ??
      `sha256:${createHash('sha256').update(canonicalJson(obj)).digest('hex')}`;
    out.push({ event: event as AuditEventInput, idempotencyKey, line: i + 1 });
  });
  return out;
}
