import { parseArgs } from 'node:util';

/** Options every suite accepts. `smoke` means a tiny size that only proves the suite runs (CI). */
export interface BenchOptions {
  size?: number;
  smoke: boolean;
}

type Suite = { run(opts: BenchOptions): Promise<void> };

/** Benchmark suites by name. Each lives in bench/<name>.ts and prints its own figures and ratios. */
const suites: Record<string, () => Promise<Suite>> = {
  screening: () => import('./screening'),
  'screening-api': () => import('./screening-api'),
  ledger: () => import('./ledger'),
  'ledger-growth': () => import('./ledger-growth'),
  loan: () => import('./loan'),
  retention: () => import('./retention'),
  monitoring: () => import('./monitoring'),
  cli: () => import('./cli'),
  api: () => import('./api'),
  feed: () => import('./feed'),
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      size: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(`usage: npm run bench -- [${Object.keys(suites).join('|')}]... [--size N] [--smoke]`);
    return;
  }
  const unknown = positionals.filter((p) => !(p in suites));
  if (unknown.length) {
    console.error(`unknown suite(s): ${unknown.join(', ')}; choose from ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && !(Number.isInteger(size) && size > 0)) {
    console.error('--size must be a positive integer');
    process.exit(2);
  }
  for (const name of positionals.length ? positionals : Object.keys(suites)) {
    console.log(`\n### bench ${name}${values.smoke ? ' (smoke size)' : ''}`);
    const suite = await (suites[name] as () => Promise<Suite>)();
    await suite.run({ size, smoke: values.smoke });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
