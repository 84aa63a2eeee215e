import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControl } from '@apollo/server/plugin/cacheControl';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../platform/config.js';
import { createGatewayErrorFormatter } from './errors.js';
import { graphqlMetricsPlugin } from '../platform/metrics.js';
import { Lifecycle, requestContext } from '../platform/observability.js';
import { probeRoutes } from '../platform/probes.js';
import { PostgresApqCache } from './apq-cache.js';
import { createTokenVerifier } from './auth.js';
import type { GatewayContext } from './context.js';
import { PartnerDataSource, SignedDataSource } from './data-source.js';
import { SubgraphClient } from './subgraph-client.js';
import { CoalescingGateway } from './coalescing.js';
import { bodyErrorHandler } from '../platform/http-errors.js';
import { hardening, LIMITS } from './hardening.js';
import { createIdeRouter } from './ide/router.js';
import { receiptProxy } from './receipts.js';
import { checkSubgraphs } from './health.js';
import { gatewayDatabaseUrl, mutationRateLimit } from './rate-limit.js';
import { loadSupergraphEnv } from './partner-config.js';
import { SupergraphSource } from './supergraph.js';
import { httpCaching } from './http-caching.js';
import { SharedResponseCache } from './response-cache.js';
import { Bus, busDatabaseUrl } from '../platform/bus.js';
import { loadLiveSettings } from './live-config.js';
import { createLiveServer } from './live-server.js';
import { LiveSessions } from './live-sessions.js';
import type { GraphQLSchema } from 'graphql';
import { isOurSubgraph } from '../schema/ownership.js';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /**
   * The composed supergraph shipped with the code (schema/supergraph.graphql): served when the live source
   * (SUPERGRAPH_PATH, default that same file, or SUPERGRAPH_URL) cannot be loaded at boot.
   */
  supergraphSdl: string;
  /** Environment with the live-supergraph and partner settings (SUPERGRAPH_*, PARTNER_*); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Monotonic milliseconds for the shared response cache's max-ages (tests move it by hand). */
  clock?: () => number;
}

export interface Gateway {
  app: express.Express;
  /** Readiness and in-flight requests (graceful shutdown: draining makes /health/ready answer 503). */
  lifecycle: Lifecycle;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Apollo Server + @apollo/gateway over a composed supergraph, reloaded live (a down subgraph cannot stop the boot). */
export async function createGateway({
  config,
  logger,
  supergraphSdl,
  env = process.env,
  clock,
}: GatewayOptions): Promise<Gateway> {
  // Without this, @apollo/gateway probes cloud metadata endpoints and exports usage metrics to Apollo: our data
  // and our network stay ours.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  // Live supergraph: a new composition (a partner joining or leaving) is served without a restart.
  const supergraph = new SupergraphSource({
    settings: loadSupergraphEnv(env),
    env,
    signingSecret: config.signingSecrets[0],
    logger,
    fallbackSdl: supergraphSdl,
  });
  // One client per subgraph for the life of the process, kept across supergraph reloads (its sockets, its calls in flight).
  const clients = new Map<string, SubgraphClient>();
  const clientFor = (name: string) => {
    let client = clients.get(name);
    if (!client) {
      client = new SubgraphClient({
        name,
        signingSecret: config.signingSecrets[0],
        timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
        maxSockets: config.SUBGRAPH_MAX_SOCKETS,
        dedupe: config.SUBGRAPH_DEDUPE,
      });
      clients.set(name, client);
    }
    return client;
  };
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.hook,
    validateSupergraph: true,
    buildService: ({ name, url }) => {
      // Our routing URLs come from config, so one supergraph serves every environment.
      if (isOurSubgraph(name)) return new SignedDataSource(config.subgraphUrls[name], clientFor(name), logger);
      // Everything else is a partner's: its own limits, masked errors, no identity of ours (data-source.ts).
      return new PartnerDataSource(
        name,
        url ?? '',
        () => {
          const settings = supergraph.partnerSettings(name);
          if (!settings) throw new Error(`no settings for partner ${name}`);
          return settings;
        },
        logger,
      );
    },
    logger,
  });
  // The API schema as clients see it, following supergraph reloads: live subscriptions are validated against it.
  let apiSchema: GraphQLSchema | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema: loaded }) => (apiSchema = loaded));
  const httpServer = http.createServer();
  const hardened = hardening({ production: config.NODE_ENV === 'production' });
  // Persisted queries shared by every replica (in the gateway's database), not in this process's memory.
  const apq = new PostgresApqCache(gatewayDatabaseUrl(config), logger);
  const responseCache =
    config.RESPONSE_CACHE_MAX_BYTES > 0
      ? new SharedResponseCache({ maxBytes: config.RESPONSE_CACHE_MAX_BYTES, now: clock })
      : undefined;
  const server = new ApolloServer<GatewayContext>({
    gateway: new CoalescingGateway(gateway, config.OPERATION_DEDUPE),
    validationRules: hardened.validationRules,
    allowBatchedHttpRequests: hardened.allowBatchedHttpRequests,
    parseOptions: hardened.parseOptions,
    persistedQueries: { cache: apq, ttl: 24 * 3600 },
    formatError: createGatewayErrorFormatter(logger, { production: config.NODE_ENV === 'production' }),
    includeStacktraceInErrorResponses: false,
    introspection: true, // gated per role by the hardening plugin
    csrfPrevention: true,
    stopOnTerminationSignals: false, // our process entry drains and exits on signals itself
    // The IDE router serves browsers; Apollo's own landing page would load its IDE from a CDN.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // The policy is still computed from the subgraphs' headers; httpCaching writes the header, knowing the caller.
      ApolloServerPluginCacheControl({ calculateHttpHeaders: false }),
      httpCaching(responseCache),
      ...hardened.plugins,
      graphqlMetricsPlugin('gateway'),
      mutationRateLimit({ config, logger, httpServer }),
    ],
  });
  await server.start();

  const verifyToken = createTokenVerifier(config);
  const lifecycle = new Lifecycle();
  // Live sessions: graphql-ws on the same server and path; each update runs through `server` like an HTTP query.
  const live = createLiveServer({
    httpServer,
    path: '/graphql',
    lifecycle,
    settings: loadLiveSettings(env),
    verifyToken,
    schema: () => apiSchema,
    async execute(identity, request) {
      const response = await server.executeOperation(request, { contextValue: { identity } });
      if (response.body.kind !== 'single') throw new Error('live: an incremental result was not expected');
      return response.body.singleResult;
    },
    // Plain pg on the bus database (no ORM); connected on the first subscription.
    sessions: new LiveSessions(() => Bus.connect(busDatabaseUrl(config), logger), logger),
    logger,
    production: config.NODE_ENV === 'production',
    maxPayloadBytes: LIMITS.messageBytes,
  });
  const app = express();
  app.disable('x-powered-by');
  // Request id, access log, HTTP metrics, in-flight tracking and the readiness gate while draining; then /metrics.
  app.use(requestContext({ service: 'gateway', logger, lifecycle }));
  app.use(
    probeRoutes(async () => {
      // Our subgraphs of the loaded supergraph decide readiness; partners are listed, never probed: a partner
      // outage must not take our gateway out of the load balancer.
      const version = supergraph.status();
      const ourUrls = Object.fromEntries(
        version.subgraphs.filter(isOurSubgraph).map((name) => [name, config.subgraphUrls[name]]),
      );
      const subgraphs = await checkSubgraphs(ourUrls);
      const ready = Object.values(subgraphs).every((s) => s === 'ready');
      const status = ready ? 'ready' : 'degraded';
      return { ready, body: { status, supergraph: 'loaded', supergraphVersion: version, subgraphs } };
    }),
  );
  app.use(createIdeRouter({ enabled: config.IDE_ENABLED, graphqlPath: '/graphql' }));
  app.use(
    receiptProxy({
      verifyToken,
      paymentUrl: config.subgraphUrls.payment,
      signingSecret: config.signingSecrets[0],
      timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
      logger,
    }),
  );
  app.use(
    '/graphql',
    express.json({ limit: LIMITS.bodyBytes }),
    expressMiddleware(server, {
      context: async ({ req }) => ({ identity: await verifyToken(req.headers.authorization) }),
    }),
  );
  app.use(bodyErrorHandler(LIMITS.bodyBytes));
  httpServer.on('request', app);

  return {
    app,
    lifecycle,
    async listen(port, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, resolve);
      });
      const url = `http://${host}:${(httpServer.address() as AddressInfo).port}/graphql`;
      logger.info({ url }, 'gateway listening');
      return url;
    },
    async close() {
      lifecycle.draining = true;
      await live.close();
      await server.stop();
      for (const client of clients.values()) client.close();
      await apq.close();
    },
  };
}
