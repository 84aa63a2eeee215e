import net from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../../gateway/gateway.js';
import { loadConfig } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
import { createLogger } from '../../platform/logger.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { testEnv } from '../support/config.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin' };

describe('a subgraph that is down', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
    const { data } = await stack.query<{ createOperator: { id: string } }>(
      `mutation { createOperator(input: { name: "Down Op", country: "DE", defaultCurrency: "EUR", contactEmail: "d@example.com" }) { id } }`,
      {},
      admin,
    );
    const { data: tariff } = await stack.query<{ createTariff: { id: string } }>(
      `mutation ($i: CreateTariffInput!) { createTariff(input: $i) { id } }`,
      {
        i: {
          operatorId: data!.createOperator.id,
          name: 'T',
          currency: 'EUR',
          energyPricePerKwh: '0.3',
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: 1000,
        },
      },
      admin,
    );
    await stack.query(
      `mutation ($i: CreateStationInput!) { createStation(input: $i) { id } }`,
      {
        i: {
          operatorId: data!.createOperator.id,
          name: 'Resilient',
          tariffId: tariff!.createTariff.id,
          timezone: 'Europe/Berlin',
          address: { street: 'A 1', city: 'B', postalCode: '1', country: 'DE' },
          location: { latitude: 52, longitude: 13 },
          connectors: [{ standard: 'CCS2', powerKw: 50 }],
        },
      },
      admin,
    );
    await stack.subgraphs.station!.close();
  });
  afterAll(() => stack?.destroy());

  it('yields the rest of the result and a masked UPSTREAM_UNAVAILABLE error for its part', async () => {
    const result = await stack.query<{ operators: { edges: Array<{ node: { name: string; stations: unknown } }> } }>(
      `{ operators { edges { node { name stations(first: 5) { edges { node { name } } } } } } }`,
    );
    expect(result.status).toBe(200);
    expect(result.data?.operators.edges).toEqual([{ node: { name: 'Down Op', stations: null } }]);
    // The error says which field of the answer is missing.
    expect(result.errors).toEqual([
      {
        message: expect.stringContaining('did not answer'),
        path: ['operators', 'edges', 0, 'node', 'stations'],
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      },
    ]);
    // The path names the client's own field; nothing else names the subgraph or how it failed.
    const withoutPaths = result.errors?.map(({ path: _path, ...rest }) => rest);
    expect(JSON.stringify(withoutPaths)).not.toMatch(/station|serviceName|ECONNREFUSED|127\.0\.0\.1/);
  });

  it('names the path of every field it was to fill, at the root and on each entity', async () => {
    const result = await stack.query(
      `{ operators { edges { node { name stations(first: 5) { edges { node { id } } } } } }
         stationList: stations(first: 1) { edges { node { id } } } }`,
    );
    expect(result.data).toBeNull(); // the root `stations` is non-null: its null reaches the top
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
    expect(result.errors?.map((e) => e.path)).toEqual(
      expect.arrayContaining([['stationList'], ['operators', 'edges', 0, 'node', 'stations']]),
    );
  });

  it('reports the gateway as not ready, naming the unreachable subgraph', async () => {
    const response = await fetch(new URL('/health/ready', stack.gatewayUrl));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'degraded',
      subgraphs: { station: 'unreachable', operator: 'ready' },
    });
  });
});

describe('a subgraph that does not answer', () => {
  const sockets = new Set<net.Socket>();
  // Accepts connections and never answers: the gateway's deadline must end the wait.
  const silent = net.createServer((socket) => void sockets.add(socket));

  beforeAll(() => new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve)));
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('is cut off after SUBGRAPH_TIMEOUT_MS with UPSTREAM_UNAVAILABLE', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const config = loadConfig(
      testEnv({ OPERATOR_URL: `http://127.0.0.1:${port}/graphql`, SUBGRAPH_TIMEOUT_MS: '300' }),
    );
    const supergraphSdl = await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    const gateway = await createGateway({ config, logger: createLogger('gateway', 'silent'), supergraphSdl });
    try {
      const url = await gateway.listen(0);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ operators { edges { cursor } } }' }),
      });
      const body = (await response.json()) as {
        data: unknown;
        errors: Array<{ path?: unknown; extensions: { code: string } }>;
      };
      expect(response.status).toBe(200);
      expect(body.errors).toEqual([
        { message: expect.any(String), path: ['operators'], extensions: { code: 'UPSTREAM_UNAVAILABLE' } },
      ]);
    } finally {
      await gateway.close();
    }
  });
});
