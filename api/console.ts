import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where the console's sources live (browser TypeScript, HTML, CSS). */
const CONSOLE_DIR = path.join(__dirname, '..', 'console');

/**
 * The console's pages may load only their own script, style and API answers: no inline script or
 * style, no other origin, no plugins, no framing, no form posts elsewhere.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Settings the console reads from `/console/config.json` (no secrets). */
export interface ConsoleOptions {
  /** Base URL of the Temporal Web UI (links to workflow histories), when there is one. */
  temporalUiUrl?: string;
  temporalNamespace?: string;
}

interface Assets {
  html: string;
  js: string;
  css: string;
}

let assets: Promise<Assets> | undefined;

/** Bundles the console once per process with esbuild (browser target, no Node built-ins). */
function loadAssets(): Promise<Assets> {
  assets ??= (async () => {
    const out = await build({
      entryPoints: [path.join(CONSOLE_DIR, 'main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return {
      js: out.outputFiles[0]?.text ?? '',
      html: await readFile(path.join(CONSOLE_DIR, 'index.html'), 'utf8'),
      css: await readFile(path.join(CONSOLE_DIR, 'app.css'), 'utf8'),
    };
  })();
  assets.catch(() => (assets = undefined));
  return assets;
}

function secure(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .type(type)
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cache-control', 'no-cache');
}

/**
 * Serves the auditor console at `/` with its script and style. The pages hold no data: everything
 * comes from the JSON routes with the auditor's key, and proofs are verified in the browser.
 */
export function registerConsoleRoutes(app: FastifyInstance, opts: ConsoleOptions = {}): void {
  app.get('/', async (_req, reply) =>
    secure(reply, 'text/html; charset=utf-8').send((await loadAssets()).html),
  );
  app.get('/console/app.js', async (_req, reply) =>
    secure(reply, 'text/javascript; charset=utf-8').send((await loadAssets()).js),
  );
  app.get('/console/app.css', async (_req, reply) =>
    secure(reply, 'text/css; charset=utf-8').send((await loadAssets()).css),
  );
  app.get('/console/config.json', async (_req, reply) =>
    secure(reply, 'application/json; charset=utf-8').send({
      temporal_ui_url: opts.temporalUiUrl ?? null,
      temporal_namespace: opts.temporalNamespace ?? 'default',
    }),
  );
}
