import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { validateName, type EntityKind } from '../../core/screening/normalize';
import type { ScreeningQuery } from '../../core/screening/types';
import { InputError } from '../../runtime/errors';
import { decodeUtf8 } from '../../core/utf8';

/** One data row of a customer file: a query, or why the row cannot be screened. */
export interface BatchItem {
  row: number;
  query?: ScreeningQuery;
  subjectId?: string;
  error?: string;
}

const pick = (h: string[], names: string[]) => h.find((c) => names.includes(c.trim().toLowerCase()));

function kindOf(k: string | undefined): EntityKind | undefined {
  if (k === 'person' || k === 'individual') return 'person';
  if (k === 'organization' || k === 'company' || k === 'entity') return 'organization';
  return undefined;
}

/** Reads a customer CSV into items: one per data row, malformed rows as errors (the rest goes on). */
export async function readBatchFile(file: string, column?: string): Promise<BatchItem[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const decoded = decodeUtf8(bytes, file);
  if ('problem' in decoded) throw new InputError(decoded.problem);
  const text = decoded.text;
  const items: BatchItem[] = [];
  let header: string[] | undefined;
  let nameCol = '';
  const toItem = (rec: Record<string, string>, row: number): BatchItem => {
    const name = rec[nameCol] ?? '';
    const bad = validateName(name);
    if (bad) return { row, error: bad };
    const idCol = pick(header!, ['id', 'customer_id', 'subject_id', 'customer']);
    const dobCol = pick(header!, ['dob', 'date_of_birth', 'birth_date']);
    const cCol = pick(header!, ['country', 'nationality']);
    const kCol = pick(header!, ['type', 'kind', 'entity_type']);
    return {
      row,
      subjectId: idCol ? rec[idCol] || undefined : undefined,
      query: {
        name,
        dob: dobCol ? rec[dobCol] || undefined : undefined,
        country: cCol ? rec[cCol] || undefined : undefined,
        kind: kindOf(kCol ? rec[kCol]?.toLowerCase() : undefined),
      },
    };
  };
  try {
    parse(text, {
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      columns: (h: string[]) => {
        header = h;
        const c = column ?? pick(h, ['name', 'full_name', 'fullname', 'customer_name']) ?? h[0];
        if (!c || !h.includes(c))
          throw new InputError(`column "${column}" is not in the header of ${file} (${h.join(', ')})`);
        nameCol = c;
        return h;
      },
      on_skip: (err: { message?: string; lines?: number } | undefined) => {
        items.push({
          row: (err?.lines ?? 0) - 1,
          error: `malformed CSV row: ${err?.message ?? 'unparseable'}`,
        });
      },
      on_record: (rec: Record<string, string>, ctx: { lines: number }) => {
        items.push(toItem(rec, ctx.lines - 1));
        return null;
      },
    });
  } catch (err) {
    if (err instanceof InputError) throw err;
    const e = err as { message?: string; lines?: number };
    if (!header) throw new InputError(`${file} is not a readable CSV file: ${e.message}`);
    items.push({
      row: (e.lines ?? 0) - 1,
      error: `malformed CSV from here on, rest of the file skipped: ${e.message}`,
    });
  }
  return items.sort((a, b) => a.row - b.row);
}
