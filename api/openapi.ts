import { z } from 'zod';
import { LoanApplicationFileSchema } from '../core/loan-application-file';
import { AlertQuerySchema } from '../services/monitoring';
import { EventSearchSchema } from '../services/events/filter';
import { PERMISSIONS, type Action } from '../services/principals/authorization';
import { EventRefSchema, HeadListSchema } from './routes/events';
import { ExportQuerySchema } from './routes/exports';
import { ReviewBodySchema } from './routes/loans';
import { RunsQuerySchema } from './routes/provenance';
import { ScreenBodySchema } from './routes/screen';

const IdParams = z.object({ id: z.string().min(1).max(300) }).strict();

/** What the document says about one route; its authority comes from ROUTE_AUTHORITY. */
export interface RouteDoc {
  summary: string;
  query?: z.ZodType;
  params?: z.ZodType;
  body?: z.ZodType;
  /** Content type of a successful answer when not JSON. */
  produces?: string;
}

/** One entry per route of ROUTE_AUTHORITY (test/api-openapi.test.ts fails when one is missing). */
export function routeDocs(appendBody: z.ZodType): Record<string, RouteDoc> {
  return {
    'GET /health': { summary: 'liveness' },
    'GET /openapi.json': { summary: 'this document' },
    'GET /metrics': { summary: 'Prometheus metrics', produces: 'text/plain' },
    'GET /': { summary: 'the auditor console (docs/console.md)', produces: 'text/html' },
    'GET /console/app.js': { summary: "the console's script", produces: 'text/javascript' },
    'GET /console/app.css': { summary: "the console's style sheet", produces: 'text/css' },
    'GET /console/config.json': { summary: "the console's settings (Temporal Web UI link)" },
    'GET /v1/events': {
      summary: 'search events across every stream (filters, full text, cursor pages); a recorded read',
      query: EventSearchSchema,
    },
    'POST /v1/events': {
      summary: 'append an event as an emitter (granted streams and event types)',
      body: appendBody,
    },
    'GET /v1/events/:stream/:seq': {
      summary: 'one event with its inclusion proof against the latest signed ledger head',
      params: EventRefSchema,
    },
    'GET /v1/ledger/head': { summary: 'the latest signed ledger head' },
    'GET /v1/ledger/heads': { summary: 'signed ledger heads, newest first', query: HeadListSchema },
    'GET /v1/ledger/keys': { summary: 'the public keys the database holds (served, NOT pinned)' },
    'GET /v1/exports/events': {
      summary: 'filtered export: JSONL with a proof per event and a signed manifest, or its CSV view',
      query: ExportQuerySchema,
      produces: 'application/x-ndjson',
    },
    'GET /v1/provenance/workflows/:id': {
      summary: "a workflow's Temporal history joined with its ledger events",
      params: IdParams,
    },
    'GET /v1/provenance/cases/:id': {
      summary: "a case's ledger events and its workflows' timelines",
      params: IdParams,
    },
    'GET /v1/verification/runs': {
      summary: 'status and history of chain verification runs',
      query: RunsQuerySchema,
    },
    'GET /v1/explanations/screening/:id': {
      summary: 'a screening result with its hits and ledger trace',
      params: IdParams,
    },
    'GET /v1/explanations/alerts/:id': {
      summary: 'a monitoring alert with its rule trace and ledger events',
      params: IdParams,
    },
    'GET /v1/alerts': { summary: 'monitoring alerts', query: AlertQuerySchema },
    'GET /v1/alerts/:id': { summary: 'one monitoring alert', params: IdParams },
    'POST /v1/screen': { summary: 'screen one name against the active lists', body: ScreenBodySchema },
    'POST /v1/loan-applications': {
      summary: 'start loan origination (idempotent by applicationId; another body under the same id is 409)',
      body: LoanApplicationFileSchema,
    },
    'GET /v1/loan-applications/:id': {
      summary: 'status, decision and pending review of an application',
      params: IdParams,
    },
    'POST /v1/loan-applications/:id/review': {
      summary: "a reviewer's decision",
      params: IdParams,
      body: ReviewBodySchema,
    },
  };
}

const json = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;

const ERROR = {
  description: 'a refusal: one JSON line, never a stack trace',
  content: {
    'application/json': {
      schema: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
    },
  },
};

/** The OpenAPI 3.1 document of the API, generated from the zod schemas the routes validate with. */
export function openApiDocument(
  authority: Record<string, Action | 'public'>,
  appendBody: z.ZodType,
): Record<string, unknown> {
  const docs = routeDocs(appendBody);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [route, action] of Object.entries(authority)) {
    const [method, url] = route.split(' ') as [string, string];
    const doc = docs[route] ?? { summary: route };
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['query', doc.query],
      ['path', doc.params],
    ] as const) {
      if (!schema) continue;
      const s = json(schema) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, p] of Object.entries(s.properties ?? {}))
        parameters.push({
          name,
          in: where,
          required: where === 'path' || (s.required ?? []).includes(name),
          schema: p,
        });
    }
    const path = url.replace(/:([a-z_]+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      summary: doc.summary,
      ...(action === 'public'
        ? { security: [] }
        : { 'x-ledgerflow-action': action, 'x-ledgerflow-roles': [...PERMISSIONS[action]] }),
      ...(parameters.length ? { parameters } : {}),
      ...(doc.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: json(doc.body) } } } }
        : {}),
      responses: {
        '200': { description: 'success', content: { [doc.produces ?? 'application/json']: {} } },
        '400': ERROR,
        '401': ERROR,
        '403': ERROR,
        '404': ERROR,
        '409': ERROR,
        '503': ERROR,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ledgerflow API',
      version: '1',
      description:
        'Auditor, emitter and loan-origination API of ledgerflow. Every read of audit data is recorded in the ledger before it is answered. See docs/api.md.',
    },
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    security: [{ apiKey: [] }],
    paths,
  };
}
