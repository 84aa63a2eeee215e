import type { GraphQLFormattedError } from 'graphql';
import { expect } from 'vitest';
import { Role, type Identity } from '../../platform/identity.js';
import type { TestSubgraph } from './subgraph.js';

/** What `executeOperation` (and the HTTP layer) answers. */
export type Result<T> = { data?: T | null; errors?: readonly GraphQLFormattedError[] };

/** The data of a result that must have no errors. */
export function dataOf<T>(result: Result<T>): T {
  expect(result.errors).toBeUndefined();
  return result.data as T;
}

/** The error code of a failed result (`extensions.code`). */
export const errorCode = (result: Result<unknown>) => result.errors?.[0]?.extensions?.code;

export const platformAdmin: Identity = { role: Role.PLATFORM_ADMIN, sub: 'platform-admin' };

/** An operator created in the operator subgraph by a platform admin; its id. */
export async function createOperatorIn(operator: TestSubgraph, name = 'Voltia'): Promise<string> {
  const result = await operator.run<{ createOperator: { id: string } }>(
    `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
    { input: { name, country: 'DE', defaultCurrency: 'EUR', contactEmail: 'ops@example.com' } },
    platformAdmin,
  );
  return dataOf(result).createOperator.id;
}
