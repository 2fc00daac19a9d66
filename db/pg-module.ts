import type PgModule from 'pg';

/**
 * The `pg` module, loaded with the `Response` global hidden. pg probes `typeof Response` at load
 * time (to detect Cloudflare Workers); in Node 20 that first touch loads the bundled undici, which
 * costs more than the rest of a short CLI command's start-up. Nothing else changes: the global's
 * lazy getter is put back right after.
 */
function loadPg(): typeof PgModule {
  const response = Object.getOwnPropertyDescriptor(globalThis, 'Response');
  const lazy = response?.get !== undefined && response.configurable === true;
  if (lazy)
    Object.defineProperty(globalThis, 'Response', { value: undefined, configurable: true, writable: true });
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- must run between the two defineProperty calls
    return require('pg') as typeof PgModule;
  } finally {
    if (lazy) Object.defineProperty(globalThis, 'Response', response);
  }
}

export const pg = loadPg();
