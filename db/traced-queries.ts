import type * as OtelApi from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import type pg from 'pg';

type Query = (...args: unknown[]) => unknown;

/**
 * SQL text for a span: string literals become `'?'` so a statement that inlines a value never
 * carries it (ledgerflow's queries bind their values; this is the belt to that braces).
 */
export function redactSql(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, "'?'").slice(0, 2_000);
}

/** The span name: the statement's verb, or the function a `SELECT fn(...)` calls. */
function spanName(text: string): string {
  const call = /^\s*select\s+([a-z_][a-z0-9_]*)\s*\(/i.exec(text);
  if (call) return `pg ${call[1]}`;
  const verb = /^\s*([a-z]+)/i.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';
  return `pg ${verb}`;
}

/**
 * Gives every query of the pool (and of the clients it lends, for transactions) a client span
 * under the caller's active span (the activity's, through the AsyncLocalStorage context). Done
 * here rather than with instrumentation-pg: its require hook only patches a `pg` loaded after
 * tracing started, and every entrypoint has loaded `pg` before it has read the configuration
 * that turns tracing on. Callback-style and streamed (COPY) queries pass through untraced (the
 * pool's own promise queries run on a callback inside, so nothing is counted twice).
 */
export function traceQueries(pool: pg.Pool, tracer: Tracer, database: string): void {
  // Loaded here, not at the top: every command opens pools, few trace them (CLI start-up).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a package, so require() works everywhere
  const { SpanKind, SpanStatusCode } = require('@opentelemetry/api') as typeof OtelApi;
  const traced =
    (query: Query): Query =>
    (...args) => {
      const first = args[0] as string | { text?: unknown; submit?: unknown } | undefined;
      const text = typeof first === 'string' ? first : first?.text;
      const streamed = typeof first === 'object' && typeof first?.submit === 'function';
      if (typeof text !== 'string' || streamed || typeof args.at(-1) === 'function') return query(...args);
      const span = tracer.startSpan(spanName(text), {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system': 'postgresql', 'db.name': database, 'db.statement': redactSql(text) },
      });
      const fail = (err: unknown) => {
        // The error's class only: a database error's message can quote the row it refused.
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.name ?? 'error' });
        span.end();
        throw err;
      };
      try {
        return Promise.resolve(query(...args)).then((r) => {
          span.end();
          return r;
        }, fail);
      } catch (err) {
        return fail(err);
      }
    };
  const wrap = (target: { query: unknown }) => {
    target.query = traced((target.query as Query).bind(target));
  };
  wrap(pool as unknown as { query: unknown });
  pool.on('connect', (client) => wrap(client as unknown as { query: unknown }));
}
