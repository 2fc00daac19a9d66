import Fastify, { type FastifyInstance } from 'fastify';
import { FaultState, pick, seeded, type FaultConfig } from './faults';

const FIRST = ['Anna', 'Lukas', 'Marie', 'Jonas', 'Sofia', 'Elias', 'Clara', 'Noah', 'Ida', 'Paul'] as const;
const LAST = [
  'Becker',
  'Novak',
  'Lindqvist',
  'Moreau',
  'Rossi',
  'Keller',
  'Jansen',
  'Horvat',
  'Dubois',
] as const;
const WORD = [
  'Northwind',
  'Alder',
  'Blue Harbor',
  'Greystone',
  'Kestrel',
  'Lumen',
  'Orchard',
  'Meridian',
] as const;
const TRADE = ['Trading', 'Logistics', 'Foods', 'Engineering', 'Textiles', 'Software'] as const;

/**
 * Officer who appears on the interim watch list fixtures: companies whose registration number
 * starts with "SANC" list this person, so demos and tests can provoke a screening hit.
 */
export const WATCHLISTED_OFFICER = {
  name: 'Boris Valentinovich Marov',
  dateOfBirth: '1961-04-17',
  role: 'director',
};

/** A company officer as the registry lists them. */
export interface Officer {
  name: string;
  role: string;
  dateOfBirth?: string;
}

/**
 * The simulated business registry's answer for a registration number (deterministic).
 * "DIS…" companies are dissolved, "NEW…" were incorporated this year, "NF…" do not exist;
 * "SANC…" companies list `listedOfficer` (default {@link WATCHLISTED_OFFICER}).
 */
export function companyRecord(
  registrationNumber: string,
  now = new Date(),
  listedOfficer: Officer = WATCHLISTED_OFFICER,
) {
  const r = registrationNumber;
  const year = now.getUTCFullYear();
  const incorporatedYear = r.startsWith('NEW') ? year : year - 3 - seeded(r, 'age', 25);
  const officers = Array.from({ length: 1 + seeded(r, 'n-officers', 3) }, (_, i) => ({
    name: `${pick(FIRST, r, `first${i}`)} ${pick(LAST, r, `last${i}`)}`,
    role: i === 0 ? 'director' : 'secretary',
    dateOfBirth: `${1950 + seeded(r, `yob${i}`, 50)}-0${1 + seeded(r, `mob${i}`, 9)}-1${seeded(r, `dob${i}`, 9)}`,
  }));
  const all: Officer[] = r.startsWith('SANC') ? [...officers, listedOfficer] : officers;
  return {
    registrationNumber: r,
    legalName: `${pick(WORD, r, 'w')} ${pick(TRADE, r, 't')} ${r.startsWith('SANC') ? 'LLC' : 'GmbH'}`,
    status: r.startsWith('DIS') ? 'dissolved' : 'active',
    incorporatedOn: `${incorporatedYear}-0${1 + seeded(r, 'm', 9)}-1${seeded(r, 'd', 9)}`,
    country: 'DE',
    annualRevenue: 400_000 + seeded(r, 'rev', 46) * 100_000,
    officers: all,
  };
}

export interface ProviderServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  faults: FaultState;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Simulated business registry (HTTP, fastify): `GET /v1/companies/:registrationNumber`.
 * Admin: `GET /__admin/calls`, `PUT /__admin/faults`, `POST /__admin/reset`.
 */
export async function startRegistryServer(
  opts: { port?: number; host?: string; faults?: FaultConfig; listedOfficer?: Officer } = {},
): Promise<ProviderServer> {
  const faults = new FaultState(opts.faults);
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.get<{ Params: { registrationNumber: string } }>(
    '/v1/companies/:registrationNumber',
    async (req, reply) => {
      const f = await faults.apply(req, reply);
      if (f.handled) return reply;
      const reg = req.params.registrationNumber;
      if (!/^[A-Z0-9-]{4,32}$/.test(reg)) {
        f.record.status = 400;
        return reply.code(400).send({ error: 'invalid registration number' });
      }
      if (reg.startsWith('NF')) {
        f.record.status = 404;
        return reply.code(404).send({ error: 'company not found' });
      }
      if (f.malformed)
        return reply
          .code(200)
          .header('content-type', 'application/json')
          .send('{"registrationNumber": 42, "status": ');
      return reply.code(200).send(companyRecord(reg, new Date(), opts.listedOfficer));
    },
  );
  addAdminRoutes(app, faults);
  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  return { url: baseUrl(app), faults, app, close: () => app.close() };
}

export function addAdminRoutes(app: FastifyInstance, faults: FaultState): void {
  app.get('/__admin/calls', async () => faults.calls);
  app.put<{ Body: FaultConfig }>('/__admin/faults', async (req) => {
    faults.set(req.body ?? {});
    return faults.config;
  });
  app.post('/__admin/reset', async () => {
    faults.reset();
    return { ok: true };
  });
}

export function baseUrl(app: FastifyInstance): string {
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('server is not listening on TCP');
  return `http://127.0.0.1:${addr.port}`;
}
