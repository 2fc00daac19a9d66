import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';
import boundaries from 'eslint-plugin-boundaries';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const dbAndRuntime = [
  { name: 'pg', message: 'No database access here.' },
  { name: 'drizzle-orm', message: 'No database access here.' },
  { name: '@temporalio/activity', message: 'Activities belong in activities/.' },
  { name: '@temporalio/client', message: 'Clients belong in client/.' },
];

/**
 * The layering (docs/architecture.md), one element per top-level folder. `from` may import only
 * what its policy allows; anything else is an error. Type-only imports are listed separately.
 */
const layers = [
  'workflows',
  'contracts',
  'core',
  'activities',
  'services',
  'ledger',
  'db',
  'runtime',
  'providers',
  'simulators',
  'worker',
  'client',
  'api',
  'console',
  'bench',
  'test',
  'scripts',
];
const may = (from, to, kind) => ({
  from: { element: { type: from } },
  allow: { to: { element: { type: to } }, ...(kind ? { dependency: { kind } } : {}) },
});
const layering = [
  may('workflows', ['contracts', 'core']),
  // proxyActivities<...> needs the activities' types; type imports are erased from the bundle.
  may('workflows', ['activities'], 'type'),
  may('contracts', ['core']),
  may('core', []),
  may('activities', ['services', 'ledger', 'contracts', 'core', 'runtime']),
  may('activities', ['db'], 'type'),
  may('services', ['ledger', 'contracts', 'core', 'db', 'providers', 'runtime']),
  may('ledger', ['core', 'db', 'runtime']),
  may('db', ['core', 'runtime']),
  may('runtime', ['core']),
  may('providers', ['core', 'runtime']),
  may('simulators', ['core', 'providers', 'db']),
  may('worker', ['activities', 'services', 'ledger', 'contracts', 'core', 'db', 'runtime', 'providers']),
  may('client', [
    'services',
    'ledger',
    'contracts',
    'core',
    'db',
    'runtime',
    'worker',
    'api',
    'providers',
    'simulators',
  ]),
  may('client', ['workflows'], 'type'),
  may('api', ['services', 'ledger', 'contracts', 'core', 'db', 'runtime']),
  // The browser console: its own modules and the pure core modules free of Node built-ins.
  may('console', ['console', 'core']),
  may('bench', [
    'services',
    'ledger',
    'contracts',
    'core',
    'db',
    'runtime',
    'worker',
    'api',
    'providers',
    'simulators',
    'bench',
  ]),
  may('bench', ['workflows'], 'type'),
  may(['test', 'scripts'], layers),
];
const determinism = {
  'no-restricted-globals': [
    'error',
    { name: 'fetch', message: 'No I/O here.' },
    { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
  ],
  'no-restricted-properties': [
    'error',
    {
      object: 'Date',
      property: 'now',
      message: 'Not deterministic: use workflow time from @temporalio/workflow.',
    },
    { object: 'Math', property: 'random', message: 'Not deterministic.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'eslint.config.mjs',
      'node_modules/**',
      '.tools/**',
      '.ledgerflow/**',
      'db/migrations/**',
      'bin/**',
      'dist/**',
      'test/fixtures/lint/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Lint fixtures (test/lint-rules.test.ts) are linted as `<folder>/fixture.ts`, outside the project.
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*/fixture.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Layering between folders, and no import cycles.
    files: ['**/*.ts'],
    plugins: { boundaries, 'import-x': importX },
    settings: {
      'boundaries/elements': layers.map((type) => ({ type, pattern: `${type}/**`, partialMatch: false })),
      'boundaries/include': ['**/*.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
      'import/resolver': { typescript: { project: 'tsconfig.json' } },
    },
    rules: {
      'boundaries/dependencies': ['error', { default: 'disallow', policies: layering }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // Configuration is read only at entrypoints; everything else receives it as a dependency.
    files: ['**/*.ts'],
    ignores: ['runtime/config.ts', 'worker/main.ts', 'client/**', 'bench/**', 'test/**', 'scripts/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration at an entrypoint (runtime/config.ts) and pass it in.',
        },
      ],
    },
  },
  {
    // The auditor console runs in the browser: no Node built-ins, and data never becomes HTML.
    files: ['console/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'The console runs in the browser.' })),
            ...dbAndRuntime,
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        ...['innerHTML', 'outerHTML'].map((property) => ({
          property,
          message: 'Build nodes with console/dom.ts (text as text nodes), never HTML strings.',
        })),
        { property: 'insertAdjacentHTML', message: 'Build nodes with console/dom.ts, never HTML strings.' },
        { object: 'document', property: 'write', message: 'Build nodes with console/dom.ts.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.name='eval']", message: 'No eval in the console.' },
        { selector: "NewExpression[callee.name='Function']", message: 'No Function constructor.' },
      ],
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic, free of I/O and of Node built-ins.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflows must not use Node built-ins or I/O.',
            })),
            ...dbAndRuntime,
          ],
        },
      ],
      ...determinism,
    },
  },
  {
    // Pure domain code: computation only. node:crypto is allowed for hashing; modules using it are not imported by workflows.
    files: ['core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins
              .filter((m) => m !== 'crypto' && m !== 'node:crypto')
              .map((name) => ({ name, message: 'core/ is pure: no I/O built-ins.' })),
            ...dbAndRuntime,
          ],
        },
      ],
      ...determinism,
    },
  },
);
