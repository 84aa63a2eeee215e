import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { LIMITS } from '../../gateway/hardening.js';
import { signDevToken } from '../../dev/tokens.js';
import { loadConfig } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
import { createLogger } from '../../platform/logger.js';
import { startTestStack, type TestStack } from '../support/stack.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stack?.destroy());

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  expect(text).not.toMatch(/\n\s+at |node_modules|<html/i);
  return {
    status: response.status,
    body: JSON.parse(text) as { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> },
  };
}
const gql = (query: string) => post(stack.gatewayUrl, JSON.stringify({ query }));

describe('gateway limits', () => {
  it('refuses a query nested deeper than the limit', async () => {
    const deep = `{ operators { edges { node { stations { edges { node { operator { stations { edges { node { operator { stations { edges { node { name } } } } } } } } } } } } } } }`;
    const { body } = await gql(deep);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0].message).toMatch(/depth/i);
  });

  it('refuses an alias bomb', async () => {
    const aliases = Array.from(
      { length: LIMITS.maxAliases + 5 },
      (_, i) => `a${i}: operators { edges { cursor } }`,
    ).join(' ');
    const { body } = await gql(`{ ${aliases} }`);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0].message).toMatch(/aliases/i);
  });

  it('refuses too many directives', async () => {
    const directives = Array.from({ length: LIMITS.maxDirectives + 5 }, () => '@include(if: true)').join(' ');
    const { body } = await gql(`{ operators { edges { cursor ${directives} } } }`);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors?.[0].message).toMatch(/directives/i);
  });

  it('refuses a document with too many tokens', async () => {
    const fields = Array.from({ length: LIMITS.maxTokens }, () => '__typename').join(' ');
    const { status, body } = await gql(`{ ${fields} }`);
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(body.errors?.[0].message).toMatch(/token/i);
  });

  it('counts list sizes into the cost and refuses an expensive query', async () => {
    const { status, body } = await gql(
      `{ stations(first: 100) { edges { node { name connectors { id } operator { stations(first: 100) { edges { node { name tariff { currency } } } } } } } } }`,
    );
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const cheap = await gql(`{ stations(first: 5) { edges { node { name } } } }`);
    expect(cheap.body.errors).toBeUndefined();
  });

  it('refuses batched (array) requests', async () => {
    const { status } = await post(
      stack.gatewayUrl,
      JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    );
    expect(status).toBe(400);
  });

  it('answers an oversized body with 413 and a GraphQL error', async () => {
    const { status, body } = await post(
      stack.gatewayUrl,
      JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(300_000) } }),
    );
    expect(status).toBe(413);
    expect(body.errors?.[0].extensions?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers malformed JSON with 400 and a GraphQL error', async () => {
    const { status, body } = await post(stack.gatewayUrl, '{"query": "{ __typename }"');
    expect(status).toBe(400);
    expect(body.errors?.[0].extensions?.code).toBe('BAD_REQUEST');
  });

  it('blocks CSRF-style simple requests', async () => {
    const response = await fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`);
    expect(response.status).toBe(400);
  });
});

describe('production gateway', () => {
  let gateway: Gateway;
  let url: string;
  const secrets = { JWT_SECRET: 'p'.repeat(40), SUBGRAPH_SIGNING_SECRETS: 's'.repeat(40) };

  beforeAll(async () => {
    // A production gateway in front of subgraphs that trust its signing secret (their own secret list includes it).
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'production',
      ...secrets,
      SUBGRAPH_SIGNING_SECRETS: `${secrets.SUBGRAPH_SIGNING_SECRETS}`,
      ...urls(),
    });
    const supergraphSdl = await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    gateway = await createGateway({ config, logger: createLogger('gateway', 'silent'), supergraphSdl });
    url = await gateway.listen(0);
  });
  afterAll(() => gateway?.close());

  function urls() {
    return Object.fromEntries(
      Object.entries(stack.subgraphs).map(([name, s]) => [`${name.toUpperCase()}_URL`, s!.url]),
    );
  }

  it('refuses to start with the development secrets', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /JWT_SECRET is the development secret[\s\S]*SUBGRAPH_SIGNING_SECRETS contains the development secret/,
    );
  });

  it('allows introspection to analysts and platform admins only', async () => {
    const introspect = JSON.stringify({ query: '{ __schema { queryType { name } } }' });
    const anonymous = await post(url, introspect);
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const driver = await post(url, introspect, {
      authorization: `Bearer ${await signDevToken({ role: Role.DRIVER, sub: 'd' }, secrets.JWT_SECRET)}`,
    });
    expect(driver.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const analyst = await post(url, introspect, {
      authorization: `Bearer ${await signDevToken({ role: Role.ANALYST, sub: 'a' }, secrets.JWT_SECRET)}`,
    });
    expect(analyst.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('hides field suggestions', async () => {
    const { body } = await post(url, JSON.stringify({ query: '{ operatorz { edges { cursor } } }' }));
    expect(body.errors?.[0].message).toMatch(/Cannot query field "operatorz"/);
    expect(body.errors?.[0].message).not.toMatch(/Did you mean/);
  });
});
