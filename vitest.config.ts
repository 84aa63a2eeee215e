import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS entry for type-graphql and Apollo; vite would give our files the ESM one.
    // Two copies break `instanceof` (scalars, errors), so everyone gets the CommonJS entry, as in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: [
      'platform/**/*.test.ts',
      'subgraphs/**/*.test.ts',
      'gateway/**/*.test.ts',
      'ocpp/**/*.test.ts',
      'dev/**/*.test.ts',
      'test/**/*.test.ts',
      'schema/**/*.test.ts',
    ],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
