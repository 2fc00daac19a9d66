/**
 * A PostgreSQL array literal of `values`, byte for byte what pg sends for a JS array parameter
 * (pg/lib/utils `prepareValue`) of the kinds the append path binds: strings, numbers, Buffers
 * (bytea, `\\x` hex) and nulls. The append path builds its parameters with it before it waits for
 * the previous statement, so the connection does not sit idle while pg serialises the next one.
 */
export function arrayLiteral(values: ReadonlyArray<string | number | Buffer | null>): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (typeof v === 'string') parts[i] = quoted(v);
    else if (typeof v === 'number') parts[i] = `"${String(v)}"`;
    else parts[i] = `\\\\x${v.toString('hex')}`;
  }
  return `{${parts.join(',')}}`;
}

const SPECIAL = /["\\]/;

function quoted(s: string): string {
  return SPECIAL.test(s) ? `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${s}"`;
}
