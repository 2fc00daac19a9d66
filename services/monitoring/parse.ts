import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json';
import { TransactionSchema, type Transaction } from '../../core/monitoring/transaction';
import { describeZodError } from '../../core/zod-issues';

/** A valid input line. `hash` (SHA-256 of the canonical transaction) detects a re-used id. */
export interface ParsedLine {
  line: number;
  tx: Transaction;
  hash: string;
}

/** A rejected input line: its number and one reason (never the line's content). */
export interface Rejection {
  line: number;
  transaction_id: string | null;
  reason: string;
}

/** Parses and validates one JSONL line (1-based `line`); blank lines yield null. */
export function parseLine(text: string, line: number): ParsedLine | Rejection | null {
  if (text.trim() === '') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { line, transaction_id: null, reason: 'malformed JSON' };
  }
  const id =
    raw && typeof raw === 'object' && typeof (raw as { transaction_id?: unknown }).transaction_id === 'string'
      ? ((raw as { transaction_id: string }).transaction_id.slice(0, 200) ?? null)
      : null;
  const r = TransactionSchema.safeParse(raw);
  if (!r.success) return { line, transaction_id: id, reason: describeZodError(r.error) };
  return { line, tx: r.data, hash: createHash('sha256').update(canonicalJson(r.data)).digest('hex') };
}

/**
 * Parses a JSONL document. Within the document, a repeated transaction id with the same content
 * is a duplicate (dropped); with other content it is rejected.
 */
export function parseJsonl(text: string): {
  lines: number;
  items: ParsedLine[];
  rejections: Rejection[];
  duplicates: number;
} {
  const items: ParsedLine[] = [];
  const rejections: Rejection[] = [];
  const seen = new Map<string, string>();
  let duplicates = 0;
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  all.forEach((t, i) => {
    const p = parseLine(t.replace(/\r$/, ''), i + 1);
    if (!p) return;
    if ('reason' in p) return void rejections.push(p);
    const prev = seen.get(p.tx.transaction_id);
    if (prev === undefined) {
      seen.set(p.tx.transaction_id, p.hash);
      items.push(p);
    } else if (prev === p.hash) duplicates++;
    else
      rejections.push({
        line: p.line,
        transaction_id: p.tx.transaction_id,
        reason: 'transaction_id already used with different content',
      });
  });
  return { lines: all.length, items, rejections, duplicates };
}
