import http from 'node:http';
import type { Worker } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's HTTP side: `GET /health` (200 while the worker polls its task queue, 503
 * otherwise) for container health checks, and `GET /metrics` in Prometheus format.
 */
export async function startHealthServer(
  worker: Pick<Worker, 'getState'>,
  opts: { port: number; host?: string; registry?: Registry },
): Promise<HealthServer> {
  const registry = opts.registry ?? new Registry();
  if (!opts.registry) collectDefaultMetrics({ register: registry });
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      const state = worker.getState();
      res.writeHead(state === 'RUNNING' ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: state === 'RUNNING', state }));
    } else if (req.method === 'GET' && req.url === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : opts.port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
