import { createHash, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { FaultState, header, seeded, type FaultConfig } from './faults';
import { addAdminRoutes, baseUrl, type ProviderServer } from './registry-server';

/** A credit inquiry as the bureau keeps it. Opening one is a provider-side action (it shows on the file). */
export interface Inquiry {
  inquiryId: string;
  idempotencyKey: string;
  subjectRef: string;
  status: 'open' | 'cancelled';
  openedAt: string;
  cancelledAt?: string;
  report: { score: number; activeDefaults: number; openCreditLines: number; totalDebt: number };
}

/**
 * The report for a national id (deterministic): ids starting "LOW" score 540, "MID" 630, "DEF"
 * have two active defaults; others score 680-849.
 */
export function creditReport(nationalId: string) {
  const score = nationalId.startsWith('LOW')
    ? 540
    : nationalId.startsWith('MID')
      ? 630
      : 680 + seeded(nationalId, 'score', 170);
  return {
    score,
    activeDefaults: nationalId.startsWith('DEF') ? 2 : 0,
    openCreditLines: seeded(nationalId, 'lines', 6),
    totalDebt: seeded(nationalId, 'debt', 200) * 1000,
  };
}

export interface BureauServer extends ProviderServer {
  inquiries: Map<string, Inquiry>;
}

/**
 * Simulated credit bureau (HTTP, fastify). `POST /v1/inquiries` (Idempotency-Key required: the
 * same key returns the same inquiry, so a retried call opens one inquiry), `POST
 * /v1/inquiries/:id/cancel` (compensation), `GET /v1/inquiries`. Admin routes as the registry.
 */
export async function startCreditBureauServer(
  opts: { port?: number; host?: string; faults?: FaultConfig } = {},
): Promise<BureauServer> {
  const faults = new FaultState(opts.faults);
  const inquiries = new Map<string, Inquiry>();
  const byKey = new Map<string, string>();
  const app = Fastify({ logger: false, forceCloseConnections: true });

  app.post<{
    Body: { subject?: { nationalId?: string; dateOfBirth?: string }; purpose?: string; amount?: number };
  }>('/v1/inquiries', async (req, reply) => {
    const f = await faults.apply(req, reply);
    if (f.handled) return reply;
    const key = header(req, 'idempotency-key');
    const nationalId = req.body?.subject?.nationalId;
    if (!key || typeof nationalId !== 'string' || !/^[A-Z0-9-]{4,32}$/.test(nationalId)) {
      f.record.status = 400;
      return reply.code(400).send({ error: 'Idempotency-Key header and subject.nationalId are required' });
    }
    if (f.malformed)
      return reply.code(200).header('content-type', 'application/json').send('<html>oops</html>');
    const known = byKey.get(key);
    if (known) return reply.code(200).send(inquiries.get(known));
    const inquiry: Inquiry = {
      inquiryId: `inq_${randomUUID()}`,
      idempotencyKey: key,
      subjectRef: createHash('sha256').update(nationalId).digest('hex').slice(0, 16),
      status: 'open',
      openedAt: new Date().toISOString(),
      report: creditReport(nationalId),
    };
    inquiries.set(inquiry.inquiryId, inquiry);
    byKey.set(key, inquiry.inquiryId);
    f.record.status = 201;
    return reply.code(201).send(inquiry);
  });

  app.post<{ Params: { id: string } }>('/v1/inquiries/:id/cancel', async (req, reply) => {
    const f = await faults.apply(req, reply);
    if (f.handled) return reply;
    const inquiry = inquiries.get(req.params.id);
    if (!inquiry) {
      f.record.status = 404;
      return reply.code(404).send({ error: 'inquiry not found' });
    }
    if (inquiry.status === 'open')
      Object.assign(inquiry, { status: 'cancelled', cancelledAt: new Date().toISOString() });
    return reply.code(200).send(inquiry);
  });

  app.get('/v1/inquiries', async () => [...inquiries.values()]);
  addAdminRoutes(app, faults);
  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  return { url: baseUrl(app), faults, app, inquiries, close: () => app.close() };
}
