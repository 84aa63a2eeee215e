import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express, { type Router } from 'express';
import type { Constructor, MigrationObject, MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type { GraphQLSchema } from 'graphql';
import type { ContainerType } from 'type-graphql';
import type { Logger } from 'pino';
import { loadConfig, type Config, type SubgraphName } from '../config.js';
import { RequestContext } from './context.js';
import { openDatabase } from '../database.js';
import { databaseUrl } from '../database-admin.js';
import { EntityClient } from '../entity-client.js';
import { createErrorFormatter } from '../errors.js';
import { subgraphLowerLayerErrors } from './subgraph-errors.js';
import { bodyErrorHandler } from '../http-errors.js';
import { buildFederatedSchema, type FederatedSchemaOptions } from './federation.js';
import { ANONYMOUS, type Identity } from '../identity.js';
import { createLogger } from '../logger.js';
import { graphqlMetricsPlugin, samplePool, type PoolSource } from '../metrics.js';
import { graphqlRequestScope, Lifecycle, requestContext } from '../observability.js';
import { databaseReadiness, probeRoutes } from '../probes.js';
import { ReplayGuard } from '../replay-guard.js';
import { signedCallerOnly } from '../signed-caller.js';
import { KEEP_ALIVE } from '../keep-alive.js';

const SUBGRAPH_BODY_LIMIT = '1mb';

/** What makes a subgraph: the same shape for every one of them. */
export interface SubgraphModule extends FederatedSchemaOptions {
  name: SubgraphName;
  entities: Constructor[];
  migrations: MigrationObject[];
  /** Builds what this subgraph needs beyond the shared deps (e.g. a payment provider client), once per process. */
  provide?: (deps: SubgraphDeps) => Promise<SubgraphServices>;
}

/** A subgraph's own services: resolvers are taken from `container`, extra HTTP routes (webhooks) come from `routes`. */
export interface SubgraphServices {
  container?: ContainerType;
  /** Mounted before the GraphQL endpoint; these routes do their own authentication (e.g. webhook signatures). */
  routes?: (router: Router) => void;
  /**
   * Routes under `path` that only signed callers reach, exactly as `/graphql` (gateway or service signature bound to
   * the body, single use); `res.locals.identity` is the caller. E.g. the payment subgraph's receipt PDFs.
   */
  signedRoutes?: { path: string; routes: (router: Router) => void };
  close?(): Promise<void>;
}

/** How the process runs this subgraph (defaults suit tests and `npm start`). */
export interface SubgraphOptions {
  /** Apply migrations at start (default true; false when a migration Job ran them). */
  migrate?: boolean;
  poolMax?: number;
  /** How long in-flight requests may take to finish once the listener closed (default 10 s). */
  drainTimeoutMs?: number;
  /** Extra metrics sampled at scrape time (e.g. payments by status); returns their removal. */
  metrics?: (deps: SubgraphDeps) => () => void;
}

export interface SubgraphDeps {
  config: Config;
  orm: MikroORM<PostgreSqlDriver>;
  logger: Logger;
  services: EntityClient;
}

export interface Subgraph extends SubgraphDeps {
  schema: GraphQLSchema;
  server: ApolloServer<RequestContext>;
  app: express.Express;
  /** A context as the HTTP layer would build it, for tests that call `server.executeOperation`. */
  contextFor(identity: Identity, requestLogger?: Logger): RequestContext;
  /** Readiness and in-flight requests (graceful shutdown). */
  lifecycle: Lifecycle;
  /** Starts serving HTTP; returns the GraphQL URL (port 0 picks a free port). */
  listen(port: number, host?: string): Promise<string>;
  /**
   * Readiness goes false, then the listener closes, in-flight requests finish (up to the drain timeout), the
   * subgraph's own services stop (sweeper) and the database pool closes.
   */
  close(): Promise<void>;
}

/** Builds a subgraph (schema, database, Apollo Server, HTTP app) without listening. */
export async function createSubgraph(
  module: SubgraphModule,
  config: Config = loadConfig(),
  logger = createLogger(module.name, config.LOG_LEVEL),
  options: SubgraphOptions = {},
): Promise<Subgraph> {
  const orm = await openDatabase({
    clientUrl: databaseUrl(config, module.name),
    entities: module.entities,
    migrations: module.migrations,
    logger,
    migrate: options.migrate,
    poolMax: options.poolMax,
  });
  const services = new EntityClient({
    caller: module.name,
    urls: config.subgraphUrls,
    signingSecret: config.signingSecrets[0],
    timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  });
  const deps: SubgraphDeps = { config, orm, logger, services };
  const own = (await module.provide?.(deps)) ?? {};
  const schema = await buildFederatedSchema({ ...module, container: own.container });
  const httpServer = http.createServer();
  // Idle connections outlive the gateway's pooled sockets (platform/keep-alive.ts): a server closing first races the
  // gateway reusing the socket, and that request fails as UPSTREAM_UNAVAILABLE.
  httpServer.keepAliveTimeout = KEEP_ALIVE.serverIdleMs;
  httpServer.headersTimeout = KEEP_ALIVE.serverIdleMs + 1_000;
  const server = new ApolloServer<RequestContext>({
    schema,
    formatError: createErrorFormatter(logger, subgraphLowerLayerErrors),
    includeStacktraceInErrorResponses: false,
    introspection: true, // subgraphs are reachable only with a gateway signature
    csrfPrevention: true,
    stopOnTerminationSignals: false, // our process entry drains and exits on signals itself
    // Inline tracing is for Apollo Studio, which we do not use; it costs time on every request.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.drainTimeoutMs ?? 10_000 }),
      ApolloServerPluginInlineTraceDisabled(),
      graphqlMetricsPlugin(module.name),
    ],
  });
  await server.start();

  const replayGuard = new ReplayGuard(orm, logger);
  const lifecycle = new Lifecycle();
  const stopSampling = [
    samplePool(module.name, () => orm.em.getConnection().getKnex().client.pool as PoolSource | undefined),
    options.metrics?.(deps) ?? (() => {}),
  ];
  const contextFor = (identity: Identity, requestLogger: Logger = logger) =>
    new RequestContext(orm.em.fork(), identity, requestLogger, services);
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext({ service: module.name, logger, lifecycle }));
  app.use(probeRoutes(databaseReadiness(lifecycle, () => orm.isConnected())));
  const router = express.Router();
  own.routes?.(router);
  app.use(router);
  if (own.signedRoutes) {
    const signed = express.Router();
    own.signedRoutes.routes(signed);
    app.use(
      own.signedRoutes.path,
      ...signedCallerOnly({ secrets: config.signingSecrets, replayGuard, logger, bodyLimit: SUBGRAPH_BODY_LIMIT }),
      signed,
    );
  }
  app.use(
    '/graphql',
    ...signedCallerOnly({ secrets: config.signingSecrets, replayGuard, logger, bodyLimit: SUBGRAPH_BODY_LIMIT }),
    graphqlRequestScope(module.name),
    expressMiddleware(server, {
      context: async ({ res }) =>
        contextFor(
          (res.locals.identity as Identity | undefined) ?? ANONYMOUS,
          logger.child({ requestId: res.locals.requestId as string }),
        ),
    }),
  );
  app.use(bodyErrorHandler(SUBGRAPH_BODY_LIMIT));
  httpServer.on('request', app);

  return {
    ...deps,
    schema,
    server,
    app,
    contextFor,
    lifecycle,
    async listen(port: number, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, resolve);
      });
      const { port: actual } = httpServer.address() as AddressInfo;
      const url = `http://${host}:${actual}/graphql`;
      logger.info({ url }, `${module.name} subgraph listening`);
      return url;
    },
    async close() {
      lifecycle.draining = true;
      await server.stop(); // closes the listener, waits for in-flight requests (drain timeout), then ends connections
      await own.close?.();
      replayGuard.close();
      for (const stop of stopSampling) stop();
      await orm.close(true);
    },
  };
}
