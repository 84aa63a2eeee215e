import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const SUBGRAPHS = ['operator', 'station', 'session', 'payment'];
/** Code only tools may use: the local stack, the emulator, benchmarks. */
const TOOLS = ['./dev', './bench'];

/**
 * Who may import whom (ARCHITECTURE.md): the platform core (platform/) imports no process; the gateway, each
 * subgraph and the OCPP process import the core and nothing of each other; what only a subgraph stands on
 * (platform/subgraph: type-graphql, federation, the subgraph server) stays out of the gateway and the OCPP process;
 * production code never imports tools.
 */
const boundaries = [
  {
    target: './platform',
    from: [...SUBGRAPHS.map((s) => `./subgraphs/${s}`), './gateway', './ocpp', ...TOOLS],
  },
  {
    target: './gateway',
    from: [...SUBGRAPHS.map((s) => `./subgraphs/${s}`), './platform/subgraph', './ocpp', ...TOOLS],
  },
  {
    target: './ocpp',
    from: [...SUBGRAPHS.map((s) => `./subgraphs/${s}`), './platform/subgraph', './gateway', ...TOOLS],
  },
  ...SUBGRAPHS.map((name) => ({
    target: `./subgraphs/${name}`,
    from: [
      ...SUBGRAPHS.filter((other) => other !== name).map((s) => `./subgraphs/${s}`),
      './gateway',
      './ocpp',
      ...TOOLS,
    ],
  })),
].map((zone) => ({ ...zone, message: 'crosses a process boundary (see ARCHITECTURE.md)' }));

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      '**/dist',
      '.data',
      '.cache',
      'bench-results',
      'bench/.build',
      'test-artifacts',
      'dev/stripe-emulator/spec/stripe-openapi',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Tests are tools: a subgraph's tests may start its sibling subgraphs and the emulator.
    ignores: ['**/test/**'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: boundaries }] },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Plain Node scripts (loader hooks and preloads that must not go through tsx).
    files: ['**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        require: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        URL: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
