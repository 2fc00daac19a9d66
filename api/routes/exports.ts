import {
  createReadStream,
  createWriteStream,
  mkdtempSync,
  openSync,
  rmSync,
  type ReadStream,
  type WriteStream,
} from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { z } from 'zod';
import type { Signer } from '../../core/signing';
import { describeZodError } from '../../core/zod-issues';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { exportEvents, MAX_EXPORT_ROWS } from '../../services/events/export';
import { filterOf, filterShape, timeOrder } from '../../services/events/filter';
import { callerOf } from '../caller';
import { answerRead } from '../read-log';

/** `GET /v1/exports/events` query: the search filter and order, plus the export's own options. */
export const ExportQuerySchema = z
  .object({
    ...filterShape,
    order: z.enum(['asc', 'desc']).default('asc'),
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
    max_rows: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_EXPORT_ROWS, `must be at most ${MAX_EXPORT_ROWS}`)
      .default(100_000),
    head_version: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .refine(timeOrder.check, timeOrder.params);

export interface ExportRoutesDeps {
  reader: Database;
  ledger: Ledger;
  /** Signs export manifests; without it exports answer 503. */
  signer?: Signer;
  preHandler: preHandlerHookHandler;
}

/** A sink that waits for `drain` when the file's buffer is full (rejects if the file fails). */
const writer = (out: WriteStream) => (chunk: string) =>
  out.write(chunk) ? undefined : once(out, 'drain').then(() => undefined);

/**
 * Registers `GET /v1/exports/events`: the events matching a filter under one signed ledger head,
 * as a filtered export (JSONL, each event with its inclusion proof, then the signed manifest) or
 * its CSV view (format=csv; its SHA-256 is the manifest's csv_sha256 for the same filter and
 * head_version). The export is built first, recorded as a read, then streamed.
 */
export function registerExportRoutes(app: FastifyInstance, deps: ExportRoutesDeps): void {
  app.get('/v1/exports/events', { preHandler: deps.preHandler }, async (req, reply) => {
    const q = ExportQuerySchema.safeParse(req.query);
    if (!q.success) return reply.code(400).send({ error: describeZodError(q.error) });
    if (!deps.signer)
      return reply
        .code(503)
        .send({ error: 'exports need a signing key for their manifest; none is configured' });
    const { format, max_rows, head_version, order } = q.data;
    const { format: _f, max_rows: _m, head_version: _h, ...search } = q.data;
    const filter = filterOf({ ...search, limit: 1 });
    const exportedBy = callerOf(req).id;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-export-'));
    const file = path.join(dir, `export.${format}`);
    const cleanup = () => rmSync(dir, { recursive: true, force: true });
    // Both files are opened here, not by the streams later: a stream still opening its path when a
    // failed export removed the directory would raise ENOENT with nobody listening.
    const out = createWriteStream(file, { fd: openSync(file, 'wx') });
    out.on('error', () => undefined); // reported by the pending drain or by end()
    let stream: ReadStream | undefined;
    try {
      const manifest = await exportEvents(
        deps.reader,
        {
          filter,
          order,
          maxRows: max_rows,
          headVersion: head_version,
          exportedBy,
          signer: deps.signer,
        },
        format === 'jsonl' ? { jsonl: writer(out) } : { csv: writer(out) },
      );
      await new Promise<void>((resolve, reject) =>
        out.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
      reply
        .header(
          'content-disposition',
          `attachment; filename="ledgerflow-export-h${manifest.head_version}.${format}"`,
        )
        .header('x-ledgerflow-head-version', String(manifest.head_version))
        .header('x-ledgerflow-count', String(manifest.count));
      if (format === 'csv')
        reply.type('text/csv; charset=utf-8').header('x-ledgerflow-csv-sha256', manifest.csv_sha256);
      else reply.type('application/x-ndjson; charset=utf-8');
      stream = createReadStream(file, { fd: openSync(file, 'r') }).once('close', cleanup);
      return await answerRead(
        deps.ledger,
        req,
        reply,
        {
          action: 'export',
          resource: { type: 'ledger_events', id: 'export' },
          filter: { ...filter, order, format, max_rows, head_version: manifest.head_version },
          rows: manifest.count,
        },
        stream,
      ).then((r) => {
        if (r.statusCode !== 200) stream?.destroy();
        return r;
      });
    } catch (err) {
      out.destroy();
      stream?.destroy();
      cleanup();
      throw err;
    }
  });
}
