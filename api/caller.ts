import type { FastifyRequest } from 'fastify';
import type { ApiPrincipal } from '../services/principals/api-keys';

/**
 * The principal the route's preHandler authenticated. A handler reached without one is a wiring
 * fault (500), never an anonymous or invented actor.
 */
export function callerOf(req: FastifyRequest): ApiPrincipal {
  if (!req.principal) throw new Error(`${req.method} ${req.routeOptions.url}: no authenticated principal`);
  return req.principal;
}
