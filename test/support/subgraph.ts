import type { GraphQLFormattedError } from 'graphql';
import { databaseUrl, dropDatabase } from '../../platform/database-admin.js';
import type { Identity } from '../../platform/identity.js';
import { createSubgraph, type Subgraph, type SubgraphModule } from '../../platform/subgraph/server.js';
import type { Config } from '../../platform/config.js';
import { testConfig } from './config.js';

export interface TestSubgraph extends Subgraph {
  /** Runs an operation in-process as `identity`; returns data and errors of a single result. */
  run<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    identity?: Identity,
  ): Promise<{ data?: T | null; errors?: readonly GraphQLFormattedError[] }>;
  /** Drops the subgraph's database. */
  destroy(): Promise<void>;
}

/** A subgraph on a fresh database of its own, for `executeOperation` tests (no HTTP). */
export async function createTestSubgraph(module: SubgraphModule, config: Config = testConfig()): Promise<TestSubgraph> {
  const subgraph = await createSubgraph(module, config);
  return Object.assign(subgraph, {
    async run<T>(query: string, variables?: Record<string, unknown>, identity: Identity = {}) {
      const response = await subgraph.server.executeOperation<T>(
        { query, variables },
        { contextValue: subgraph.contextFor(identity) },
      );
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return { data: response.body.singleResult.data, errors: response.body.singleResult.errors };
    },
    async destroy() {
      await subgraph.close();
      await dropDatabase(databaseUrl(config, module.name));
    },
  });
}
