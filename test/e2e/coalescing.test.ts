import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../../platform/database-admin.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { Role } from '../../platform/identity.js';
import { countStatements } from '../support/sql-counter.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/*
 * Identical operations in flight at once for the same caller share one execution at the gateway. Subgraph-level
 * sharing is off here (SUBGRAPH_DEDUPE=false), so each statement the operator subgraph runs is one execution.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ SUBGRAPH_DEDUPE: 'false' });
});
afterAll(() => stack?.destroy());

const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-coalescing' };
const LIST = '{ operators(first: 50) { edges { node { id name } } } }';
const operatorDb = () => stack.subgraphs.operator!.orm;
const together = <T>(count: number, send: (i: number) => Promise<T>) =>
  Promise.all(Array.from({ length: count }, (_, i) => send(i)));

describe('operation coalescing', () => {
  it('answers 20 identical queries from one caller with one execution, each with the full answer', async () => {
    // The operator table locked, the first execution waits in PostgreSQL until all 20 requests are in flight.
    const lock = new pg.Client({ connectionString: databaseUrl(stack.config, 'operator') });
    await lock.connect();
    await lock.query('begin; lock table "operator" in access exclusive mode');
    const answers: Array<Awaited<ReturnType<TestStack['query']>>> = [];
    const statements = await countStatements(operatorDb(), async () => {
      const sent = together(20, () => stack.query(LIST, {}, admin));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await lock.query('commit');
      answers.push(...(await sent));
    });
    await lock.end();
    expect(statements).toBe(1);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ status: 200, data: { operators: { edges: expect.any(Array) } } });
  });

  it('executes separately for different callers and for different variables', async () => {
    const driver: TokenClaims = { role: Role.DRIVER, sub: 'driver-coalescing' };
    const byCaller = await countStatements(operatorDb(), () =>
      Promise.all([stack.query(LIST, {}, admin), stack.query(LIST, {}, driver), stack.query(LIST)]),
    );
    expect(byCaller).toBe(3);
    const paged = 'query ($first: Int!) { operators(first: $first) { edges { node { id } } } }';
    const byVariables = await countStatements(operatorDb(), () =>
      Promise.all([stack.query(paged, { first: 1 }, admin), stack.query(paged, { first: 2 }, admin)]),
    );
    expect(byVariables).toBe(2);
  });

  it('never shares a mutation: identical mutations in flight each take effect', async () => {
    const create =
      'mutation { createOperator(input: { name: "Coalesced Twice", country: "FR", defaultCurrency: "EUR", contactEmail: "twice@example.fr" }) { id } }';
    const results = await together(3, () => stack.query<{ createOperator: { id: string } }>(create, {}, admin));
    const ids = results.map((result) => result.data?.createOperator.id);
    expect(new Set(ids).size).toBe(3);
    const listed = await stack.query<{ operators: { edges: Array<{ node: { name: string } }> } }>(LIST, {}, admin);
    expect(listed.data?.operators.edges.filter((edge) => edge.node.name === 'Coalesced Twice')).toHaveLength(3);
  });
});
