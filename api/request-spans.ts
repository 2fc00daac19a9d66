import { context, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * One server span per request, named by method and route pattern (never the raw URL, whose query
 * string can name people), made active for the route's handlers so their SQL spans nest under it.
 * The span starts when the request arrives and becomes the active context at preHandler: the
 * body is read from socket events, which do not carry an earlier context along.
 */
export function traceRequests(app: FastifyInstance, tracer: Tracer): void {
  const spans = new WeakMap<FastifyRequest, Span>();
  const route = (req: FastifyRequest) => req.routeOptions.url ?? 'unmatched';
  app.addHook('onRequest', (req, _reply, done) => {
    spans.set(
      req,
      tracer.startSpan(`${req.method} ${route(req)}`, {
        kind: SpanKind.SERVER,
        attributes: { 'http.request.method': req.method, 'http.route': route(req) },
      }),
    );
    done();
  });
  app.addHook('preHandler', (req, _reply, done) => {
    const span = spans.get(req);
    if (span) context.with(trace.setSpan(context.active(), span), done);
    else done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const span = spans.get(req);
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });
}
