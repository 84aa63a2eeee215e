/**
 * A partner joins the running platform by configuration only, is queried across our subgraphs, misbehaves without
 * hurting our answers, and leaves again — the gateway is never restarted.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { TokenClaims } from '../../dev/tokens.js';
import { renderSupergraphFile, supergraphHash, writeFileAtomic } from '../../schema/artifact.js';
import { loadSupergraphConfig } from '../../schema/config.js';
import { composeSubgraphs } from '../../schema/contract.js';
import { composeSupergraphFile } from '../../schema/publish.js';
import { SUBGRAPH_NAMES } from '../../platform/config.js';
import { Role } from '../../platform/identity.js';
import { startTestStack, type TestStack } from '../support/stack.js';
import { startReviewsPartner, type ReviewsPartner } from './reviews-partner.js';

const PARTNER_SECRET = 'reviews-partner-own-secret-0123456789';
const admin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'admin' };
const driver: TokenClaims = { role: Role.DRIVER, sub: 'driver-7' };
const ACROSS = `{ stations(first: 5) { edges { node { name reviews { text } operator { name rating } } } } }`;
const REVIEWS = `{ stations(first: 5) { edges { node { name reviews { text } } } } }`;

interface Stations {
  stations: {
    edges: Array<{
      node: {
        name: string;
        reviews?: Array<{ text: string }> | null;
        operator?: { name: string; rating: number | null };
      };
    }>;
  };
}
interface Readiness {
  status: string;
  supergraphVersion: {
    hash: string;
    loadedAt: string;
    subgraphs: string[];
    partners: string[];
    rejected?: { hash: string; reason: string };
  };
}

let dir: string;
let supergraphPath: string;
let stack: TestStack;
let partner: ReviewsPartner;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'chargegraph-partner-'));
  supergraphPath = join(dir, 'supergraph.graphql');
  await copyFile(new URL('../../schema/supergraph.graphql', import.meta.url), supergraphPath);
  [partner, stack] = await Promise.all([
    startReviewsPartner({ secret: PARTNER_SECRET }),
    startTestStack({
      SUPERGRAPH_PATH: supergraphPath,
      PARTNER_TIMEOUT_MS: '5000', // the partner's own timeout_ms (1 s) wins
      PARTNER_MAX_CONCURRENCY: '2',
      PARTNER_REVIEWS_SECRET: PARTNER_SECRET,
    }),
  ]);
  const call = async <T>(query: string, variables: Record<string, unknown>) => {
    const result = await stack.query<T>(query, variables, admin);
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data;
  };
  const { createOperator } = await call<{ createOperator: { id: string } }>(
    `mutation ($i: CreateOperatorInput!) { createOperator(input: $i) { id } }`,
    { i: { name: 'Partner Op', country: 'DE', defaultCurrency: 'EUR', contactEmail: 'p@example.com' } },
  );
  const { createTariff } = await call<{ createTariff: { id: string } }>(
    `mutation ($i: CreateTariffInput!) { createTariff(input: $i) { id } }`,
    {
      i: {
        operatorId: createOperator.id,
        name: 'T',
        currency: 'EUR',
        energyPricePerKwh: '0.3',
        timePricePerHour: '0',
        sessionFee: 0,
        taxRateBasisPoints: 0,
        preAuthorizationAmount: 1000,
      },
    },
  );
  const { createStation } = await call<{ createStation: { id: string } }>(
    `mutation ($i: CreateStationInput!) { createStation(input: $i) { id } }`,
    {
      i: {
        operatorId: createOperator.id,
        name: 'Partner Park',
        tariffId: createTariff.id,
        timezone: 'Europe/Berlin',
        address: { street: 'A 1', city: 'B', postalCode: '1', country: 'DE' },
        location: { latitude: 52, longitude: 13 },
        connectors: [{ standard: 'CCS2', powerKw: 50 }],
      },
    },
  );
  // The partner's own data about our entities, keyed by the ids it gets from the contract.
  partner.addReview(createStation.id, 'Fast and clean', 5);
  partner.rate(createOperator.id, 4.5);
});

afterAll(async () => {
  await stack?.destroy();
  await partner?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** What an operator of the platform does: edit supergraph.yaml, compose, ship the result to the watched path. */
async function publish(options: { withPartner: boolean }): Promise<string> {
  const supergraph = await compose(options);
  await writeFileAtomic(supergraphPath, supergraph);
  return supergraph;
}

async function compose({ withPartner }: { withPartner: boolean }): Promise<string> {
  const yaml = {
    // Our SDL as published; their routing URLs do not matter: the gateway routes ours by its own configuration.
    subgraphs: Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [
        name,
        {
          routing_url: `http://127.0.0.1:1/${name}`,
          schema: { file: fileURLToPath(new URL(`../../schema/${name}.graphql`, import.meta.url)) },
        },
      ]),
    ),
    partners: withPartner
      ? {
          reviews: {
            routing_url: partner.url,
            schema: { subgraph_url: partner.url },
            secret_env: 'PARTNER_REVIEWS_SECRET',
            timeout_ms: 1000,
          },
        }
      : {},
  };
  await writeFile(join(dir, 'supergraph.yaml'), stringify(yaml));
  const { supergraph, ownership } = await composeSupergraphFile(
    await loadSupergraphConfig(join(dir, 'supergraph.yaml')),
  );
  expect(ownership).toEqual([]);
  return supergraph;
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const servesReviews = async () => (await stack.query(REVIEWS)).errors === undefined;
const readiness = async () => (await (await fetch(new URL('/health/ready', stack.gatewayUrl))).json()) as Readiness;

describe('a partner subgraph', () => {
  it('joins by configuration only and is served across our subgraphs without a restart', async () => {
    expect(await servesReviews()).toBe(false);
    const supergraph = await publish({ withPartner: true });
    const written = performance.now();
    await waitFor(servesReviews, 'the partner fields to be served');
    const reloadMs = performance.now() - written;
    console.log(
      `supergraph reload (partner joins): ${reloadMs.toFixed(0)} ms from the file written to the new schema served`,
    );

    const result = await stack.query<Stations>(ACROSS, {}, driver);
    expect(result.errors).toBeUndefined();
    expect(result.data?.stations.edges).toEqual([
      {
        node: {
          name: 'Partner Park',
          reviews: [{ text: 'Fast and clean' }],
          operator: { name: 'Partner Op', rating: 4.5 },
        },
      },
    ]);

    const ready = await readiness();
    expect(ready.status).toBe('ready');
    expect(ready.supergraphVersion).toMatchObject({ hash: supergraphHash(supergraph), partners: ['reviews'] });
    expect(ready.supergraphVersion.subgraphs).toEqual(expect.arrayContaining([...SUBGRAPH_NAMES, 'reviews']));
    expect(Date.parse(ready.supergraphVersion.loadedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('receives only a minimal identity: the role and a pseudonym, signed with its own secret', async () => {
    const before = partner.calls.length;
    await stack.query(ACROSS, {}, driver);
    await stack.query(ACROSS, {}, driver);
    const calls = partner.calls.slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) {
      expect(call.identityError).toBeUndefined();
      expect(
        Object.keys(call.headers).filter((h) => h.startsWith('x-') || h === 'authorization' || h === 'cookie'),
      ).toEqual(['x-chargegraph-partner-identity']);
      expect(Object.keys(call.identity ?? {}).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'role', 'sub']);
      expect(call.identity).toMatchObject({
        role: 'DRIVER',
        aud: 'reviews',
        sub: expect.stringMatching(/^[\w-]{22}$/),
      });
    }
    expect(new Set(calls.map((c) => c.identity?.sub)).size).toBe(1); // stable per caller, so the partner can keep state
    expect(calls[0].identity?.sub).not.toContain('driver-7');

    const anonymous = partner.calls.length;
    await stack.query(ACROSS);
    expect(partner.calls.slice(anonymous).every((c) => c.headers['x-chargegraph-partner-identity'] === undefined)).toBe(
      true,
    );
  });

  it('cannot leak its error messages or codes to clients', async () => {
    partner.behaviour.failWith = 'connection to reviews-db at 10.9.8.7 refused (user admin)';
    try {
      const result = await stack.query<Stations>(REVIEWS, {}, driver);
      expect(result.data?.stations.edges).toEqual([{ node: { name: 'Partner Park', reviews: null } }]);
      expect(result.errors).toHaveLength(1);
      expect(result.errors?.[0]).toMatchObject({
        path: ['stations', 'edges', 0, 'node', 'reviews'],
        extensions: { code: 'UPSTREAM_UNAVAILABLE' },
      });
      expect(JSON.stringify(result.errors)).not.toMatch(
        /10\.9\.8\.7|reviews-db|FORBIDDEN|serviceName|partner "?reviews/,
      );
    } finally {
      partner.behaviour.failWith = undefined;
    }
  });

  it('cannot hold our requests: a slow partner is cut off at its deadline', async () => {
    partner.behaviour.delayMs = 3000;
    try {
      const started = performance.now();
      const result = await stack.query<Stations>(ACROSS);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(result.data?.stations.edges[0].node).toEqual({
        name: 'Partner Park',
        reviews: null,
        operator: { name: 'Partner Op', rating: null },
      });
      // Each error names the field of the answer that is missing: the partner's fields on two entities.
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);
      expect(result.errors?.map((e) => e.path)).toEqual(
        expect.arrayContaining([
          ['stations', 'edges', 0, 'node', 'reviews'],
          ['stations', 'edges', 0, 'node', 'operator', 'rating'],
        ]),
      );
    } finally {
      partner.behaviour.delayMs = 0;
    }
  });

  it('cannot hold our requests: calls beyond its concurrency limit fail at once', async () => {
    partner.behaviour.delayMs = 400;
    try {
      // Four callers (identical requests of one caller would share one execution, and one partner call).
      const timed = await Promise.all(
        Array.from({ length: 4 }, async (_, i) => {
          const started = performance.now();
          const result = await stack.query<Stations>(REVIEWS, {}, { ...driver, sub: `partner-driver-${i}` });
          return { result, ms: performance.now() - started };
        }),
      );
      const refused = timed.filter((t) => t.result.errors?.[0]?.extensions?.code === 'UPSTREAM_UNAVAILABLE');
      const served = timed.filter((t) => !t.result.errors);
      expect(served).toHaveLength(2); // PARTNER_MAX_CONCURRENCY
      expect(refused).toHaveLength(2);
      for (const { result } of refused) {
        expect(result.data?.stations.edges[0].node.name).toBe('Partner Park');
        expect(result.errors?.map((e) => e.path)).toEqual([['stations', 'edges', 0, 'node', 'reviews']]);
      }
      expect(Math.max(...refused.map((t) => t.ms))).toBeLessThan(Math.min(...served.map((t) => t.ms)));
    } finally {
      partner.behaviour.delayMs = 0;
    }
  });

  it('keeps serving the current supergraph when a new one cannot be loaded, and says why', async () => {
    const current = (await readiness()).supergraphVersion.hash;
    const station = await readFile(new URL('../../schema/station.graphql', import.meta.url), 'utf8');
    const takeover = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@override"])
      type Station @key(fields: "id") { id: ID! name: String @override(from: "station") }`;
    const benign = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
      type Station @key(fields: "id") { id: ID! rating: Float }`;
    const compose = (sdl: string) =>
      composeSubgraphs([
        { name: 'station', url: 'http://x', sdl: station },
        { name: 'other', url: 'http://other', sdl },
      ]).supergraphSdl ?? '';
    const broken: Array<[string, string, RegExp]> = [
      ['a file that does not parse', 'type Query {', /Syntax Error/],
      ['a schema that is no supergraph', 'type Query { hello: String }', /supergraph|link|join/i],
      [
        'a hand-made supergraph in which a partner takes over Station.name',
        compose(takeover),
        /Station\.name.*@override/,
      ],
      [
        'a partner whose secret is not configured',
        renderSupergraphFile(compose(benign), { other: { secretEnv: 'NOT_SET' } }),
        /NOT_SET is not set/,
      ],
    ];
    for (const [what, text, reason] of broken) {
      await writeFileAtomic(supergraphPath, text);
      await waitFor(
        async () => (await readiness()).supergraphVersion.rejected?.hash === supergraphHash(text),
        `${what} to be refused`,
      );
      const ready = await readiness();
      expect(ready.supergraphVersion.hash, what).toBe(current);
      expect(ready.supergraphVersion.rejected?.reason, what).toMatch(reason);
      expect(await servesReviews(), what).toBe(true);
    }
  });

  it('leaves by configuration only; a request already running on it still completes', async () => {
    const without = await compose({ withPartner: false });
    partner.behaviour.delayMs = 800;
    try {
      let settled = false;
      const running = stack.query<Stations>(REVIEWS).finally(() => (settled = true));
      await waitFor(async () => partner.pending > 0, 'the partner to be called');
      await writeFileAtomic(supergraphPath, without);
      const written = performance.now();
      // Readiness, not a query: a query for reviews would itself wait for the slow partner.
      await waitFor(
        async () => (await readiness()).supergraphVersion.hash === supergraphHash(without),
        'the supergraph without the partner',
      );
      console.log(
        `supergraph reload (partner leaves): ${(performance.now() - written).toFixed(0)} ms from the file written to the new supergraph loaded`,
      );
      expect(settled, 'the request was still running when the partner left').toBe(false);
      expect(await servesReviews()).toBe(false);
      const result = await running;
      expect(result.errors).toBeUndefined();
      expect(result.data?.stations.edges[0].node.reviews).toEqual([{ text: 'Fast and clean' }]);
    } finally {
      partner.behaviour.delayMs = 0;
    }

    const gone = await stack.query(ACROSS);
    expect(gone.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const ours = await stack.query<Stations>(`{ stations(first: 5) { edges { node { name operator { name } } } } }`);
    expect(ours.errors).toBeUndefined();
    expect(ours.data?.stations.edges).toEqual([{ node: { name: 'Partner Park', operator: { name: 'Partner Op' } } }]);
    const ready = await readiness();
    expect(ready.supergraphVersion.partners).toEqual([]);
    expect(ready.supergraphVersion.subgraphs).not.toContain('reviews');
  });
});
