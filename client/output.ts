import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Table from 'cli-table3';
import { InputError } from '../runtime/errors';

/** Prints machine-readable output for `--json`: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as a readable table; `columns` maps header to a cell getter. */
export function printTable<T>(rows: T[], columns: Record<string, (row: T) => unknown>): void {
  const color = useColor();
  const table = new Table({
    head: Object.keys(columns),
    style: color ? { head: ['cyan'] } : { head: [], border: [] },
  });
  for (const row of rows) table.push(Object.values(columns).map((get) => formatCell(get(row))));
  process.stdout.write(`${table.toString()}\n`);
}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Progress and status lines go to stderr so `--json` stdout stays parseable. */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Colour only for a terminal, and never under NO_COLOR (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

/**
 * Checks up front that `--out FILE` can be written (its directory exists, the file does not), so
 * a command refuses in one line before doing any work or writing any record.
 */
export function assertWritableFile(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`cannot write ${file}: directory ${dir} does not exist (create it first)`);
  if (existsSync(file)) throw new InputError(`${file} already exists: choose another path or remove it`);
}

/** Writes `--out FILE`, refusing (one line) to overwrite an existing file or to create directories. */
export function writeOutFile(file: string, text: string): void {
  assertWritableFile(file);
  try {
    writeFileSync(file, text, { flag: 'wx' });
  } catch (err) {
    throw new InputError(
      `cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
