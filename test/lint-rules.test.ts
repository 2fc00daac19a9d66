import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
let eslint: ESLint;

/** Lints `code` as if it were the file at `file` (relative to the repo root); returns the rule ids reported. */
async function rulesFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/**
 * Each case is one violation of one rule in docs/architecture.md, placed where the rule applies.
 * A misconfigured rule (wrong glob, wrong element pattern, missing resolver) fails its case.
 */
const violations: Array<{ name: string; file: string; code: string; rule: string }> = [
  {
    name: 'workflows: no Node built-ins',
    file: 'workflows/fixture.ts',
    code: "import fs from 'node:fs';\nexport const x = fs.existsSync;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'workflows: no wall clock',
    file: 'workflows/fixture.ts',
    code: 'export const now = (): number => Date.now();\n',
    rule: 'no-restricted-properties',
  },
  {
    name: 'workflows: no timers',
    file: 'workflows/fixture.ts',
    code: 'export const t = (f: () => void): unknown => setTimeout(f, 1);\n',
    rule: 'no-restricted-globals',
  },
  {
    name: 'workflows import only contracts and pure core',
    file: 'workflows/fixture.ts',
    code: "import { createLedger } from '../ledger/ledger';\nexport const x = createLedger;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'core imports nothing with I/O',
    file: 'core/fixture.ts',
    code: "import { createDatabase } from '../db/client';\nexport const x = createDatabase;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'contracts stay workflow-safe',
    file: 'contracts/fixture.ts',
    code: "import { createLedger } from '../ledger/ledger';\nexport const x = createLedger;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'activities do not query the database themselves',
    file: 'activities/fixture.ts',
    code: "import { createDatabase } from '../db/client';\nexport const x = createDatabase;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'the CLI never calls activities',
    file: 'client/fixture.ts',
    code: "import { createActivities } from '../activities';\nexport const x = createActivities;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'the CLI imports workflow modules only as types',
    file: 'client/fixture.ts',
    code: "import { loanOrigination } from '../workflows/loan-origination';\nexport const x = loanOrigination;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'the API never calls activities',
    file: 'api/fixture.ts',
    code: "import { createActivities } from '../activities';\nexport const x = createActivities;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'services never import activities',
    file: 'services/fixture.ts',
    code: "import { createActivities } from '../activities';\nexport const x = createActivities;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'services never import the CLI',
    file: 'services/fixture.ts',
    code: "import { withContext } from '../client/context';\nexport const x = withContext;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'configuration is read only at entrypoints',
    file: 'services/fixture.ts',
    code: 'export const url = (): string | undefined => process.env.DATABASE_URL;\n',
    rule: 'no-restricted-properties',
  },
  {
    name: 'console: runs in the browser, no Node built-ins',
    file: 'console/fixture.ts',
    code: "import fs from 'node:fs';\nexport const x = fs.existsSync;\n",
    rule: 'no-restricted-imports',
  },
  {
    name: 'console: data never becomes HTML',
    file: 'console/fixture.ts',
    code: 'export const show = (el: HTMLElement, s: string): void => {\n  el.innerHTML = s;\n};\n',
    rule: 'no-restricted-properties',
  },
  {
    name: 'console imports only its own modules and core',
    file: 'console/fixture.ts',
    code: "import { searchEvents } from '../services/events/search';\nexport const x = searchEvents;\n",
    rule: 'boundaries/dependencies',
  },
  {
    name: 'the API serves the console but never imports its browser modules',
    file: 'api/fixture.ts',
    code: "import { h } from '../console/dom';\nexport const x = h;\n",
    rule: 'boundaries/dependencies',
  },
];

describe('lint rules enforce the layering', () => {
  for (const v of violations) {
    it(`rejects: ${v.name}`, async () => {
      expect(await rulesFor(v.file, v.code)).toEqual([v.rule]);
    }, 60_000);
  }

  it('allows what the layering allows (type-only workflow import in the CLI, services from activities)', async () => {
    expect(
      await rulesFor(
        'client/fixture.ts',
        "import type { loanOrigination } from '../workflows/loan-origination';\nexport type X = typeof loanOrigination;\n",
      ),
    ).toEqual([]);
    expect(
      await rulesFor(
        'activities/fixture.ts',
        "import { createLedger } from '../ledger/ledger';\nexport const x = createLedger;\n",
      ),
    ).toEqual([]);
    expect(
      await rulesFor(
        'console/fixture.ts',
        "import { canonicalJson } from '../core/canonical-json';\nimport { h } from './dom';\nexport const x = [canonicalJson, h];\n",
      ),
    ).toEqual([]);
  }, 60_000);

  it('rejects import cycles', async () => {
    const linter = new ESLint({ cwd: root, ignore: false });
    const results = await linter.lintFiles([path.join(root, 'test/fixtures/lint/cycle-a.ts')]);
    expect(results[0]?.messages.map((m) => m.ruleId)).toEqual(['import-x/no-cycle']);
  }, 60_000);
});
