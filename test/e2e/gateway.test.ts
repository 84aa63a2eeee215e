import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Role } from '../../subgraphs/common/identity.js';
import { signIdentity } from '../../subgraphs/common/identity.js';
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
    const read = await stack.query<{ operator: { name: string } }>(`query ($id: ID!) { operator(id: $id) { name } }`, { id: created.data!.createOperator.id });
    expect(read).toMatchObject({ status: 200, data: { operator: { name: 'Gateway Op' } } });
  });

  it('enforces roles on mutations', async () => {
    const refused = await createOperator('Not Allowed', driver);
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const anonymous = await stack.query(`mutation { createOperator(input: {name: "x", country: "FR", defaultCurrency: "EUR", contactEmail: "a@b.fr"}) { id } }`);
    expect(anonymous.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a malformed header', 'Token abc'],
    ['a token signed with another secret', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiUExBVEZPUk1fQURNSU4iLCJzdWIiOiJ4In0.c2lnbmF0dXJl'],
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
    const response = await fetch(stack.subgraphs.operator!.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: query });
    expect(response.status).toBe(401);
  });

  it('rejects a signature made with another secret', async () => {
    const forged = await signIdentity({ role: Role.PLATFORM_ADMIN, sub: 'mallory' }, 'gateway', 'x'.repeat(40));
    const response = await fetch(stack.subgraphs.operator!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chargegraph-identity': forged },
      body: query,
    });
    expect(response.status).toBe(401);
    expect(JSON.stringify(await response.json())).not.toMatch(/at \w+ \(|node_modules/);
  });

  it('accepts a valid signature', async () => {
    const signed = await signIdentity({ role: Role.ANALYST, sub: 'ann' }, 'gateway', stack.config.signingSecrets[0]);
    const response = await fetch(stack.subgraphs.operator!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-chargegraph-identity': signed },
      body: query,
    });
    expect(response.status).toBe(200);
  });
});
