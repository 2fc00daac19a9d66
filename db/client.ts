// First: loads pg before drizzle's node-postgres driver does (see pg-module.ts).
import { pg } from './pg-module';
import type { Pool } from 'pg';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Tracer } from '@opentelemetry/api';
import * as schema from './schema';
import { traceQueries } from './traced-queries';
import { connectionSocket } from './read-buffer-socket';
import type { Duplex } from 'node:stream';

export type Database = NodePgDatabase<typeof schema> & { $client: Pool };

// int8 as JS number: sequence numbers and counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Opens a pooled drizzle database. `max` should match the worker's activity concurrency; with a
 * `tracer`, every query is a span under the caller's active span (see traceQueries).
 */
export function createDatabase(
  url: string,
  opts: { max?: number; applicationName?: string; tracer?: Tracer } = {},
): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 20,
    application_name: opts.applicationName ?? 'ledgerflow',
    connectionTimeoutMillis: 10_000,
    // pg calls it with the connection's settings (@types/pg leaves the argument out).
    stream: connectionSocket as () => Duplex,
  });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  if (opts.tracer) traceQueries(pool, opts.tracer, new URL(url).pathname.slice(1));
  return drizzle(pool, { schema }) as Database;
}

export async function closeDatabase(db: Database): Promise<void> {
  await db.$client.end();
}
