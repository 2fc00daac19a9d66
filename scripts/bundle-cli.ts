/**
 * Bundles the CLI (client/cli.ts and every own module it reaches) with the small pure-JS packages it
 * loads on every call into one file, dist/client/cli.bundle.js, which bin/ledgerflow.cjs runs.
 * Why: Node 20 spends most of a short command's start-up resolving and reading ~350 small modules
 * (zod, drizzle-orm, pg, commander); one file skips that (measured in `npm run bench -- cli`).
 * Every other package stays external (native code, Temporal, OpenTelemetry, Fastify, NATS: loaded
 * lazily by the commands that need them). Own code is all in the bundle, so each module has one
 * instance (error classes, registries); `__dirname`/`__filename` keep meaning the module's place
 * in the tsc output (dist/), where migrations, workflows and worker scripts live.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/** Packages inlined in the bundle: pure JavaScript, loaded by (nearly) every command. */
const INLINE = new Set([
  'zod',
  'drizzle-orm',
  'commander',
  'any-ascii',
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
      b.onResolve({ filter: /^[^./]/ }, (args) =>
        args.path.startsWith('node:') || !INLINE.has(packageOf(args.path)) ? { external: true } : undefined,
      );
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
