import Table from 'cli-table3';

/** Prints machine-readable output for `--json`: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as a readable table; `columns` maps header to a cell getter. */
export function printTable<T>(rows: T[], columns: Record<string, (row: T) => unknown>): void {
  const table = new Table({ head: Object.keys(columns), style: { head: ['cyan'] } });
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
