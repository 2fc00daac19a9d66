import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { ListFiles } from '../core/screening/sources';

/**
 * A small simulated sanctions-list publisher for tests and demos. Serves list publications as
 * `GET /lists/<source>/manifest.json` (files, sizes, SHA-256) and `GET /lists/<source>/<file>`,
 * with ETags (304 on If-None-Match) and fault injection: latency, 5xx, 429 with Retry-After,
 * hanging requests (client timeouts), corrupted bodies (hash mismatch) and truncated lists.
 */
export interface Faults {
  /** Added to every response. */
  latencyMs: number;
  /** The next N requests answer 503. */
  fail5xx: number;
  /** The next N requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit: number;
  retryAfterSeconds: number;
  /** The next N requests never answer (until the client gives up). */
  hang: number;
  /** The next N file responses carry a corrupted body (the manifest's hash no longer matches). */
  corrupt: number;
  /** Every request fails with 503 (a publisher that is down). */
  down: boolean;
}

export interface ListServer {
  url: string;
  faults: Faults;
  /** Requests received, by path (for assertions). */
  requests: string[];
  /** Publishes (or replaces) a source's files; the ETag changes with the content. */
  publish(source: string, files: ListFiles): void;
  close(): Promise<void>;
}

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

export function noFaults(): Faults {
  return { latencyMs: 0, fail5xx: 0, rateLimit: 0, retryAfterSeconds: 1, hang: 0, corrupt: 0, down: false };
}

export async function startListServer(opts: { port?: number; host?: string } = {}): Promise<ListServer> {
  const app: FastifyInstance = Fastify({ logger: false });
  const published = new Map<string, { files: ListFiles; etag: string; manifest: string }>();
  const faults = noFaults();
  const requests: string[] = [];
  const hanging = new Set<() => void>();

  app.addHook('onRequest', async (req, reply) => {
    requests.push(req.url);
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (faults.hang > 0) {
      faults.hang--;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 120_000);
        const done = () => {
          clearTimeout(t);
          resolve();
        };
        hanging.add(done);
        req.raw.on('close', () => {
          hanging.delete(done);
          done();
        });
      });
      return reply.code(504).send({ error: 'gateway timeout' });
    }
    if (faults.down) return reply.code(503).send({ error: 'publisher down' });
    if (faults.fail5xx > 0) {
      faults.fail5xx--;
      return reply.code(503).send({ error: 'temporarily unavailable' });
    }
    if (faults.rateLimit > 0) {
      faults.rateLimit--;
      return reply
        .code(429)
        .header('retry-after', String(faults.retryAfterSeconds))
        .send({ error: 'slow down' });
    }
    return undefined;
  });

  app.get<{ Params: { source: string } }>('/lists/:source/manifest.json', async (req, reply) => {
    const p = published.get(req.params.source);
    if (!p) return reply.code(404).send({ error: 'unknown list' });
    if (req.headers['if-none-match'] === p.etag) return reply.code(304).header('etag', p.etag).send();
    return reply.header('etag', p.etag).type('application/json').send(p.manifest);
  });

  app.get<{ Params: { source: string; file: string } }>('/lists/:source/:file', async (req, reply) => {
    const p = published.get(req.params.source);
    const body = p?.files[req.params.file];
    if (!p || body === undefined) return reply.code(404).send({ error: 'unknown file' });
    let out = body;
    if (faults.corrupt > 0) {
      faults.corrupt--;
      out = body.slice(0, Math.floor(body.length / 2));
    }
    return reply
      .header('etag', `"${sha256(body).slice(0, 32)}"`)
      .type(req.params.file.endsWith('.xml') ? 'application/xml' : 'text/csv')
      .send(out);
  });

  const address = await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' });
  return {
    url: address,
    faults,
    requests,
    publish(source, files) {
      const entries = Object.entries(files).map(([name, text]) => ({
        name,
        bytes: Buffer.byteLength(text),
        sha256: sha256(text),
      }));
      const etag = `"${sha256(entries.map((e) => `${e.name}:${e.sha256}`).join('\n')).slice(0, 32)}"`;
      published.set(source, { files, etag, manifest: JSON.stringify({ source, files: entries }) });
    },
    async close() {
      for (const h of hanging) h();
      await app.close();
    },
  };
}
