/**
 * A tiny GraphQL server for the IDE tests: Apollo Server (CSRF prevention on, as in the gateway) behind express with
 * the IDE router mounted in front, and a schema shaped like the analytics examples (`Operator.revenueReport` as the
 * payment subgraph serves it). Tokens are HS256 JWTs like the gateway's development tokens; introspection needs
 * ANALYST or PLATFORM_ADMIN, as the gateway will.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type DocumentNode, visit } from 'graphql';
import { SignJWT, jwtVerify } from 'jose';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createIdeRouter, type IdeRouterOptions } from '../../gateway/ide/router.js';

const SECRET = new TextEncoder().encode('ide-test-secret-not-for-production');
const PRIVILEGED = new Set(['ANALYST', 'PLATFORM_ADMIN']);

export function signTestToken(role: string, sub = `test-${role.toLowerCase()}`): Promise<string> {
  return new SignJWT({ role })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(SECRET);
}

const typeDefs = `#graphql
  scalar DateTimeISO
  scalar Decimal
  scalar LocalDate

  type Money {
    amount: Int!
    currency: String!
  }

  input AnalyticsPeriod {
    from: LocalDate!
    to: LocalDate!
  }

  enum AnalyticsBucket {
    DAY
    WEEK
    MONTH
  }

  type RevenueBucket {
    bucket: LocalDate
    currency: String!
    gross: Money!
    applicationFees: Money!
    refunded: Money!
    net: Money!
    paymentCount: Int!
  }

  type EnergyStats {
    bucket: LocalDate
    sessionCount: Int!
    energyKwh: Float!
    averageDurationMinutes: Float
  }

  type Operator {
    id: ID!
    name: String!
    revenueReport(period: AnalyticsPeriod!, bucket: AnalyticsBucket): [RevenueBucket!]
    energy(period: AnalyticsPeriod!, bucket: AnalyticsBucket): [EnergyStats!]
  }

  type OperatorEdge {
    node: Operator!
  }

  type OperatorConnection {
    edges: [OperatorEdge!]!
  }

  type Tariff {
    id: ID!
    currency: String!
    energyPricePerKwh: Decimal!
  }

  type Station {
    id: ID!
    name: String!
    operator: Operator!
    tariff: Tariff!
  }

  type StationEdge {
    node: Station!
  }

  type StationConnection {
    edges: [StationEdge!]!
  }

  type Query {
    operator(id: ID!): Operator!
    operators(first: Int! = 20): OperatorConnection!
    stations(first: Int! = 20): StationConnection!
  }
`;

const money = (amount: number, currency: string) => ({ amount, currency });
const revenueRow = (bucket: string, currency: string, gross: number) => ({
  bucket,
  currency,
  gross: money(gross, currency),
  applicationFees: money(Math.round(gross / 20), currency),
  refunded: money(0, currency),
  net: money(gross - Math.round(gross / 20), currency),
  paymentCount: 3,
});

/** The test operator's revenue per day (any bucket asked for): EUR on three days, JPY on two. */
export const TEST_REVENUE_BUCKETS = [
  revenueRow('2026-10-01', 'EUR', 12_345),
  revenueRow('2026-10-01', 'JPY', 5_000),
  revenueRow('2026-10-02', 'EUR', 6_789),
  revenueRow('2026-10-03', 'EUR', 100),
  revenueRow('2026-10-03', 'JPY', 12_000),
];

/** Its energy per week. */
export const TEST_ENERGY = [
  { bucket: '2026-09-28', sessionCount: 4, energyKwh: 120.25, averageDurationMinutes: 35.5 },
  { bucket: '2026-10-05', sessionCount: 5, energyKwh: 181.25, averageDurationMinutes: null },
];

interface Context {
  role?: string;
}

const forbidden = () =>
  new GraphQLError('Analytics need an ANALYST or PLATFORM_ADMIN token', { extensions: { code: 'FORBIDDEN' } });

const resolvers = {
  Query: {
    operator: (_: unknown, { id }: { id: string }) => ({ id, name: 'Volta Test Operator' }),
    operators: () => ({ edges: [{ node: { id: 'op-1', name: 'Volta Test Operator' } }] }),
    stations: () => ({
      edges: [
        {
          node: {
            id: 'station-1',
            name: 'Hauptbahnhof Nord',
            operator: { id: 'op-1', name: 'Volta Test Operator' },
            tariff: { id: 'tariff-1', currency: 'EUR', energyPricePerKwh: '0.349' },
          },
        },
      ],
    }),
  },
  Operator: {
    energy: (_: unknown, args: { bucket?: string }, context: Context) => {
      if (!context.role || !PRIVILEGED.has(context.role)) throw forbidden();
      return args.bucket
        ? TEST_ENERGY
        : [{ bucket: null, sessionCount: 9, energyKwh: 301.5, averageDurationMinutes: 40 }];
    },
    revenueReport: (_: unknown, args: { bucket?: string }, context: Context) => {
      if (!context.role || !PRIVILEGED.has(context.role)) throw forbidden();
      if (args.bucket) return TEST_REVENUE_BUCKETS;
      return [
        {
          currency: 'EUR',
          gross: { amount: 123456, currency: 'EUR' },
          applicationFees: { amount: 6172, currency: 'EUR' },
          refunded: { amount: 0, currency: 'EUR' },
          net: { amount: 117284, currency: 'EUR' },
          paymentCount: 42,
        },
      ];
    },
  },
};

const introspects = (document: DocumentNode) => {
  let found = false;
  visit(document, { Field: (node) => void (found ||= node.name.value === '__schema' || node.name.value === '__type') });
  return found;
};

export interface RecordedRequest {
  method: string;
  contentType?: string;
  authorization?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

export interface IdeTestServer {
  origin: string;
  /** The GraphQL requests Apollo answered, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startIdeTestServer(ide: Partial<IdeRouterOptions> = {}): Promise<IdeTestServer> {
  const httpServer = http.createServer();
  const server = new ApolloServer<Context>({
    typeDefs,
    resolvers,
    csrfPrevention: true,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ document, contextValue }) {
              if (introspects(document) && !PRIVILEGED.has(contextValue.role ?? '')) {
                throw new GraphQLError('Introspection needs an ANALYST or PLATFORM_ADMIN token', {
                  extensions: { code: 'FORBIDDEN', http: { status: 403 } },
                });
              }
            },
          };
        },
      },
    ],
  });
  await server.start();

  const requests: RecordedRequest[] = [];
  const app = express();
  app.use(createIdeRouter({ enabled: true, graphqlPath: '/graphql', ...ide }));
  app.use(
    '/graphql',
    express.json(),
    (req, _res, next) => {
      const body = (req.body ?? {}) as { operationName?: string; variables?: Record<string, unknown> };
      requests.push({
        method: req.method,
        contentType: req.headers['content-type'],
        authorization: req.headers.authorization,
        operationName: body.operationName,
        variables: body.variables,
      });
      next();
    },
    expressMiddleware(server, {
      context: async ({ req }) => {
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!token) return {};
        try {
          const { payload } = await jwtVerify(token, SECRET);
          return { role: typeof payload.role === 'string' ? payload.role : undefined };
        } catch {
          throw new GraphQLError('Invalid token', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        }
      },
    }),
  );
  httpServer.on('request', app);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => server.stop(),
  };
}

// ---- Chromium for browser tests (the IDE's own test and the analytics one against the real gateway) -------------

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests cannot run, if so: they then FAIL (never skip), saying how to fix it. */
export const missingChromium = existsSync(CHROMIUM_PATH)
  ? undefined
  : `Chromium not found at ${CHROMIUM_PATH}. The browser tests need Debian's chromium: ` +
    '`apt-get update && apt-get install -y chromium` (CI installs it), or set CHROMIUM_PATH to a Chromium binary.';

/** Monaco renders spaces as U+00A0; the text of an editor's rendered lines as a person reads it. */
export const editorText = (page: Page, selector: string) =>
  page
    .locator(`${selector} .view-lines`)
    .first()
    .evaluate((el) => (el as unknown as { innerText: string }).innerText.replace(/\u00a0/g, ' '));

export interface GuardedBrowser {
  context: BrowserContext;
  /** Requests to anything but `origin`: recorded and aborted. */
  foreignRequests: string[];
  /** Every URL the pages requested. */
  requestedUrls: string[];
  close(): Promise<void>;
}

/** Headless Chromium (a fresh profile) in which only `origin` answers; everything else is recorded and blocked. */
export async function launchGuardedChromium(
  origin: string,
  viewport = { width: 1440, height: 900 },
): Promise<GuardedBrowser> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'chargegraph-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    serviceWorkers: 'block',
  });
  const foreignRequests: string[] = [];
  const requestedUrls: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    foreignRequests.push(url);
    return route.abort('blockedbyclient');
  });
  context.on('request', (request) => void requestedUrls.push(request.url()));
  return {
    context,
    foreignRequests,
    requestedUrls,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}
