/**
 * Bundles the CLI (client/cli.ts and every own module it reaches) with the small pure-JS packages it
 * loads on every call into one file, dist/client/cli.bundle.js, which bin/ledgerflow.cjs runs.
 * Why: Node 20 spends most of a short command's start-up resolving and reading ~350 small modules
 * (zod, drizzle-orm, pg, commander); one file skips that (measured in `npm run bench -- cli`).
 * Every other package stays external (native code, Temporal, OpenTelemetry, Fastify, NATS, the
 * transliteration tables: loaded lazily by the commands that need them). zod's error-message
 * locales other than English are left out (ledgerflow configures none; ~400 KB less to parse).
 * scripts/build.ts then writes a V8 code cache of the bundle (bin/load-bundle.cjs uses it). Own code is all in the bundle, so each module has one
 * instance (error classes, registries); `__dirname`/`__filename` keep meaning the module's place
 * in the tsc output (dist/), where migrations, workflows and worker scripts live.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Packages inlined in the bundle: pure JavaScript, loaded by (nearly) every command. */
const INLINE = new Set([
  'zod',
  'drizzle-orm',
  'commander',
  'cli-table3',
  '@colors/colors',
  'string-width',
  'strip-ansi',
  'ansi-regex',
  'is-fullwidth-code-point',
  'emoji-regex',
  'pg',
  'pg-pool',
  'pg-protocol',
  'pg-types',
  'pg-connection-string',
  'pg-int8',
  'pg-cloudflare',
  'pgpass',
  'split2',
  'postgres-array',
  'postgres-bytea',
  'postgres-date',
  'postgres-interval',
  'xtend',
]);

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

function cliPlugin(root: string, outDir: string): Plugin {
  return {
    name: 'ledgerflow-cli',
    setup(b) {
      // zod's `locales` namespace: English only (the default zod installs itself).
      b.onResolve({ filter: /[\\/]locales[\\/]index\.c?js$/ }, (args) =>
        /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
          ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-en' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
        loader: 'js',
        resolveDir: path.dirname(args.path),
      }));
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!args.path.startsWith('node:') && INLINE.has(packageOf(args.path))) return undefined;
        // bin/load-bundle.cjs runs the bundle from a V8 code cache, where Node 20 has no
        // dynamic-import callback: an import() of a package would fail at run time.
        if (args.kind === 'dynamic-import')
          return { errors: [{ text: `import('${args.path}'): load packages with require() in CLI code` }] };
        return { external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        let contents = readFileSync(args.path, 'utf8');
        if (/\b__(dirname|filename)\b/.test(contents)) {
          const rel = path.relative(root, args.path);
          const dir = path.relative(outDir, path.join(root, 'dist', path.dirname(rel))) || '.';
          const file = path.relative(outDir, path.join(root, 'dist', rel.replace(/\.ts$/, '.js')));
          contents = contents
            .replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${JSON.stringify(dir)})`)
            .replace(/\b__filename\b/g, `require('node:path').join(__dirname, ${JSON.stringify(file)})`);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Writes dist/client/cli.bundle.js; `root` is the repository. */
export async function bundleCli(root: string): Promise<void> {
  const outDir = path.join(root, 'dist', 'client');
  await build({
    entryPoints: [path.join(root, 'client', 'cli.ts')],
    outfile: path.join(outDir, 'cli.bundle.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    plugins: [cliPlugin(root, outDir)],
  });
}

/**
 * Writes `<bundle>.v8cache`: the bundle loaded once (its modules' top-level code run, nothing
 * else) and V8's code cache of it taken then, so the functions start-up runs are in it.
 */
export function writeCodeCache(bundle: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bin's own CommonJS helper
  const { loadBundle } = require('../bin/load-bundle.cjs') as {
    loadBundle(file: string): { script: { createCachedData(): Buffer } };
  };
  writeFileSync(`${bundle}.v8cache`, loadBundle(bundle).script.createCachedData());
}
