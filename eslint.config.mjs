import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const dbAndRuntime = [
  { name: 'pg', message: 'No database access here.' },
  { name: 'drizzle-orm', message: 'No database access here.' },
  { name: '@temporalio/activity', message: 'Activities belong in activities/.' },
  { name: '@temporalio/client', message: 'Clients belong in client/.' },
];
const ioFolders = {
  group: ['../db/*', '../ledger/*', '../runtime/*', '../activities/*', '../client/*'],
  message: 'Import only pure code (core/) here.',
  allowTypeImports: true,
};
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
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
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
          patterns: [ioFolders],
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
          patterns: [ioFolders],
        },
      ],
      ...determinism,
    },
  },
);
