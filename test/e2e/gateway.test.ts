import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../platform/identity.js';
import { signIdentity } from '../../platform/identity.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const platformAdmin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin-1' };
const driver: TokenClaims = { role: Role.DRIVER, sub: 'driver-1' };

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.destroy());

const createOperator = (name: string, who = platformAdmin) =>
  stack.query<{ createOperator: { id: string; name: string } }>(
    `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id name } }`,
    { input: { name, country: 'FR', defaultCurrency: 'EUR', contactEmail: 'ops@example.fr' } },
    who,
  );

describe('gateway', () => {
  it('serves queries and mutations over HTTP with the caller identity forwarded', async () => {
    const created = await createOperator('Gateway Op');
    expect(created.errors).toBeUndefined();
    const read = await stack.query<{ operator: { name: string } }>(`query ($id: ID!) { operator(id: $id) { name } }`, {
      id: created.data!.createOperator.id,
    });
    expect(read).toMatchObject({ status: 200, data: { operator: { name: 'Gateway Op' } } });
  });

  it('enforces roles on mutations', async () => {
    const refused = await createOperator('Not Allowed', driver);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await stack.query(
      `mutation { createOperator(input: {name: "x", country: "FR", defaultCurrency: "EUR", contactEmail: "a@b.fr"}) { id } }`,
    );
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a malformed header', 'Token abc'],
    [
      'a token signed with another secret',
      'Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiUExBVEZPUk1fQURNSU4iLCJzdWIiOiJ4In0.c2lnbmF0dXJl',
    ],
    ['garbage', 'Bearer not-a-jwt'],
  ])('answers 401 UNAUTHENTICATED for %s', async (_case, authorization) => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: '{ operators { edges { cursor } } }' }),
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token', async () => {
    const { signDevToken } = await import('../../dev/tokens.js');
    const expired = await signDevToken(platformAdmin, stack.config.JWT_SECRET, '-1s');
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${expired}` },
      body: JSON.stringify({ query: '{ operators { edges { cursor } } }' }),
    });
    expect(response.status).toBe(401);
  });

  it('reports liveness and readiness', async () => {
    const live = await fetch(new URL('/health/live', stack.gatewayUrl));
    expect(live.status).toBe(200);
    const ready = await fetch(new URL('/health/ready', stack.gatewayUrl));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', supergraph: 'loaded' });
  });
});

describe('subgraph trust', () => {
  const query = JSON.stringify({ query: '{ operators { edges { cursor } } }' });

  it('rejects calls without the gateway signature', async () => {
    const response = await fetch(stack.subgraphs.operator!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: query,
    });
    expect(response.status).toBe(401);
  });

  it('rejects a signature made with another secret', async () => {
    const forged = await signIdentity({ role: Role.PLATFORM_ADMIN, sub: 'mallory' }, 'gateway', 'x'.repeat(40), query);
    const response = await fetch(stack.subgraphs.operator!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chargegraph-identity': forged },
      body: query,
    });
    expect(response.status).toBe(401);
    expect(JSON.stringify(await response.json())).not.toMatch(/at \w+ \(|node_modules/);
  });

  it('accepts a valid signature', async () => {
    const signed = await signIdentity(
      { role: Role.ANALYST, sub: 'ann' },
      'gateway',
      stack.config.signingSecrets[0],
      query,
    );
    const response = await fetch(stack.subgraphs.operator!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chargegraph-identity': signed },
      body: query,
    });
    expect(response.status).toBe(200);
  });

  it('refuses a valid signature sent a second time, and one sent with another body', async () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(stack.subgraphs.operator!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const signed = {
      'x-chargegraph-identity': await signIdentity(
        { role: Role.ANALYST, sub: 'ann' },
        'gateway',
        stack.config.signingSecrets[0],
        query,
      ),
    };
    expect((await post(signed, query)).status).toBe(200);
    const replayed = await post(signed, query);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({
      errors: [{ message: 'This gateway signature was already used.', extensions: { code: 'UNAUTHENTICATED' } }],
    });

    const other = {
      'x-chargegraph-identity': await signIdentity(
        { role: Role.ANALYST, sub: 'ann' },
        'gateway',
        stack.config.signingSecrets[0],
        query,
      ),
    };
    const swapped = await post(
      other,
      JSON.stringify({ query: '{ operators(first: 100) { edges { node { id name } } } }' }),
    );
    expect(swapped.status).toBe(401);
    expect(await swapped.json()).toMatchObject({
      errors: [{ message: 'The gateway signature does not match the request body.' }],
    });
    // The refused body did not use up the signature: the call it was made for still goes through once.
    expect((await post(other, query)).status).toBe(200);
  });

  it('serves concurrent requests that each make several subgraph calls, every call signed for itself', async () => {
    expect((await createOperator('Signed Calls Op')).errors).toBeUndefined();
    // operator subgraph, then station and payment subgraphs for the operators' entities: three signed calls each.
    const threeSubgraphs =
      '{ operators(first: 5) { edges { node { name stations(first: 1) { edges { cursor } } paymentAccount { id } } } } }';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        stack.query<{
          operators: { edges: Array<{ node: { name: string; stations: unknown; paymentAccount: unknown } }> };
        }>(threeSubgraphs, {}, platformAdmin),
      ),
    );
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(
        answer.data?.operators.edges.some(
          (edge) => edge.node.name === 'Signed Calls Op' && edge.node.stations !== null,
        ),
      ).toBe(true);
    }
  });
});
