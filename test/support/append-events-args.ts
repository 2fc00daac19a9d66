import { randomUUID } from 'node:crypto';

/** `ledger_append_events(...)` with its 19 parameters, for probing the function in SQL. */
export const APPEND_EVENTS_SQL = `SELECT * FROM ledger_append_events(${Array.from({ length: 19 }, (_, i) => `$${i + 1}`).join(', ')})`;

/** The parameters of `ledger_append_events` for one minimal event under `key` in `stream`. */
export const appendEventsArgs = (stream: string, key: string): unknown[] => [
  stream,
  [key],
  [randomUUID()],
  ['test.event'],
  ['user'],
  ['u-1'],
  ['thing'],
  ['t-1'],
  ['read'],
  ['success'],
  [null],
  [null],
  [{}],
  [1],
  [Buffer.alloc(32)],
  [Buffer.alloc(16)],
  [{}],
  ['{"a":"'],
  ['"}'],
];
