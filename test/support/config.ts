import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../platform/config.js';

/** An environment with databases of its own (unique prefix), so test files run in parallel without sharing rows. */
export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: inject('databaseUrl'),
    DATABASE_PREFIX: `cgt_${randomBytes(5).toString('hex')}`,
    ...overrides,
  };
}

export const testConfig = (overrides: Record<string, string> = {}): Config => loadConfig(testEnv(overrides));
