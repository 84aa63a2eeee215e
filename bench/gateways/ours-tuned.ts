/**
 * A prototype of our gateway with tuning switches, to measure each change before anyone makes it in gateway/.
 * Built from the same pieces as gateway/gateway.ts (ApolloGateway + Apollo Server, hardening, error policy, token
 * verification, signed identity, mutation rate limit); with TUNE=none it does what ours does, minus the IDE, the
 * live supergraph, partners, metrics and tracing (the difference between `ours` and TUNE=none is their cost).
 *
 * TUNE: comma-separated switches, `all` or `none`:
 *   http-agent      subgraph calls over node:http with a keep-alive Agent (bounded sockets) instead of fetch()
 *   identity-cache  a verified token and the identity signed for it are reused for 20 s (per Authorization value)
 *   cost-cache      the cost limit is computed once per (document, variables), not on every request
 *   lean-http       node:http straight into Apollo Server's executeHTTPGraphQLRequest (no express)
 *   dedupe          identical subgraph queries in flight at the same time (same body, same signed identity) share
 *                   one call (Hive Gateway does this by default)
 * Environment: GATEWAY_PORT, GATEWAY_HOST, SUPERGRAPH_FILE, and the gateway's own (JWT_SECRET, …).
 */
import 'reflect-metadata';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import express from 'express';
import { GraphQLError, type DocumentNode } from 'graphql';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { loadConfig } from '../../subgraphs/common/config.js';
import { ErrorCode } from '../../subgraphs/common/errors.js';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../../subgraphs/common/identity.js';
import { createLogger } from '../../subgraphs/common/logger.js';
import { createTokenVerifier } from '../../gateway/auth.js';
import type { GatewayContext } from '../../gateway/context.js';
import { createGatewayErrorFormatter } from '../../gateway/errors.js';
import { bodyErrorHandler } from '../../subgraphs/common/http-errors.js';
import { hardening, LIMITS } from '../../gateway/hardening.js';
import { mutationRateLimit } from '../../gateway/rate-limit.js';

const SWITCHES = ['http-agent', 'identity-cache', 'cost-cache', 'lean-http', 'dedupe'] as const;
type Switch = (typeof SWITCHES)[number];
const requested = (process.env.TUNE ?? 'none').split(',').map((s) => s.trim());
const tune = new Set<Switch>(requested.includes('all') ? SWITCHES : SWITCHES.filter((s) => requested.includes(s)));
for (const s of requested) if (s !== 'all' && s !== 'none' && !(SWITCHES as readonly string[]).includes(s)) throw new Error(`unknown TUNE switch ${s}`);

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
const config = loadConfig();
const logger = createLogger('gateway-tuned', config.LOG_LEVEL);
const supergraphSdl = readFileSync(process.env.SUPERGRAPH_FILE ?? new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
const production = config.NODE_ENV === 'production';

/** A subgraph answer read to the end once; every consumer gets its own parse of it (dedupe shares the text). */
class BufferedResponse implements FetcherResponse {
  readonly bodyUsed = false;
  readonly redirected = false;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly body: string,
  ) {}
  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  async text() {
    return this.body;
  }
  async json() {
    return JSON.parse(this.body) as unknown;
  }
  async arrayBuffer() {
    const bytes = Buffer.from(this.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  clone() {
    return new BufferedResponse(this.url, this.status, this.statusText, this.headers, this.body);
  }
}

/** Node's fetch() with the gateway's deadline, as data-source.ts calls it. */
function fetchFetcher(timeoutMs: number): Fetcher {
  // RemoteGraphQLDataSource always sends a string body.
  const fetcher: Fetcher = (input, init) => fetch(input, { ...init, body: init?.body as string | undefined, signal: AbortSignal.timeout(timeoutMs) });
  return fetcher;
}

/** node:http with one keep-alive Agent per subgraph: bounded sockets, no per-call AbortSignal, the body read once. */
function httpAgentFetcher(timeoutMs: number, maxSockets = 64): Fetcher {
  const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  return (url, init = {}) =>
    new Promise<FetcherResponse>((resolve, reject) => {
      const request = http.request(url, { method: init.method ?? 'POST', headers: init.headers, agent, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve(new BufferedResponse(url, response.statusCode ?? 0, response.statusMessage ?? '', headers, Buffer.concat(chunks).toString('utf8')));
        });
      });
      request.on('timeout', () => request.destroy(Object.assign(new Error('subgraph deadline exceeded'), { name: 'TimeoutError' })));
      request.on('error', reject);
      request.end(init.body);
    });
}

/** Buffers fetch() answers so that dedupe can hand one answer to several callers. */
const buffered =
  (fetcher: Fetcher): Fetcher =>
  async (url, init) => {
    const response = await fetcher(url, init);
    if (response instanceof BufferedResponse) return response;
    return new BufferedResponse(url, response.status, response.statusText, new Headers([...response.headers]), await response.text());
  };

/** Identical queries (not mutations) to the same subgraph with the same signed identity, in flight at once: one call. */
function dedupeFetcher(fetcher: Fetcher): Fetcher {
  const inFlight = new Map<string, Promise<FetcherResponse>>();
  return (url, init?: FetcherRequestInit) => {
    const body = typeof init?.body === 'string' ? init.body : undefined;
    if (!body || !/^\{"query":"\s*(query\b|\{)/.test(body)) return fetcher(url, init);
    const key = `${url}\u0000${init?.headers?.[IDENTITY_HEADER] ?? ''}\u0000${body}`;
    let shared = inFlight.get(key);
    if (!shared) {
      shared = fetcher(url, init).finally(() => inFlight.delete(key));
      inFlight.set(key, shared);
    }
    return shared.then((response) => response.clone());
  };
}

class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    if (context?.identityToken) request.http?.headers.set(IDENTITY_HEADER, context.identityToken);
  }
}

function fetcherFor(): Fetcher {
  let fetcher = tune.has('http-agent') ? httpAgentFetcher(config.SUBGRAPH_TIMEOUT_MS) : fetchFetcher(config.SUBGRAPH_TIMEOUT_MS);
  if (tune.has('dedupe')) fetcher = dedupeFetcher(buffered(fetcher));
  return fetcher;
}

const gateway = new ApolloGateway({
  supergraphSdl,
  buildService: ({ url }) => new SignedDataSource({ url, fetcher: fetcherFor() }),
  logger,
});

/** hardening.ts's cost limit, computed once per document and variables (the document object is cached by Apollo). */
function cachedCostLimitPlugin(maxCost: number): ApolloServerPlugin<GatewayContext> {
  const costs = new WeakMap<DocumentNode, Map<string, number>>();
  const listSizeEstimator: ComplexityEstimator = ({ args, childComplexity }) => (typeof args.first === 'number' ? 1 + args.first * childComplexity : undefined);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          const key = `${request.operationName ?? ''}\u0000${JSON.stringify(request.variables ?? {})}`;
          let perDocument = costs.get(document);
          if (!perDocument) costs.set(document, (perDocument = new Map()));
          let cost = perDocument.get(key);
          if (cost === undefined) {
            cost = getComplexity({
              schema,
              query: document,
              variables: request.variables ?? {},
              operationName: request.operationName ?? undefined,
              estimators: [listSizeEstimator, simpleEstimator({ defaultComplexity: 1 })],
            });
            if (perDocument.size < 1000) perDocument.set(key, cost);
          }
          if (cost > maxCost) {
            throw new GraphQLError(`This query is too expensive (cost ${cost}, limit ${maxCost}); ask for smaller pages or fewer fields.`, {
              extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, cost, limit: maxCost, http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

const hardened = hardening({ production });
const plugins = tune.has('cost-cache') ? [cachedCostLimitPlugin(LIMITS.maxCost), hardened.plugins[1]] : hardened.plugins;
const httpServer = http.createServer();
const server = new ApolloServer<GatewayContext>({
  gateway,
  validationRules: hardened.validationRules,
  allowBatchedHttpRequests: hardened.allowBatchedHttpRequests,
  parseOptions: hardened.parseOptions,
  formatError: createGatewayErrorFormatter(logger, { production }),
  includeStacktraceInErrorResponses: false,
  introspection: true,
  csrfPrevention: true,
  stopOnTerminationSignals: false,
  plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginLandingPageDisabled(), ...plugins, mutationRateLimit({ config, logger, httpServer })],
});
await server.start();

const verifyToken = createTokenVerifier(config);
const signingSecret = config.signingSecrets[0];
const IDENTITY_REUSE_MS = 20_000; // the signed identity lives 60 s: reused for 20, it still has 40 left at a subgraph
const identities = new Map<string, { at: number; identity: Identity; identityToken: string }>();
async function contextFor(authorization: string | undefined): Promise<GatewayContext> {
  if (!tune.has('identity-cache')) {
    const identity = await verifyToken(authorization);
    return { identity, identityToken: await signIdentity(identity, 'gateway', signingSecret) };
  }
  const key = authorization ?? '';
  const now = Date.now();
  const cached = identities.get(key);
  // A token that expires is re-verified at the latest 20 s after its expiry; tokens are minted for hours.
  if (cached && now - cached.at < IDENTITY_REUSE_MS) return { identity: cached.identity, identityToken: cached.identityToken };
  const identity = await verifyToken(authorization);
  const identityToken = await signIdentity(identity, 'gateway', signingSecret);
  if (identities.size > 10_000) identities.clear();
  identities.set(key, { at: now, identity, identityToken });
  return { identity, identityToken };
}

if (tune.has('lean-http')) {
  const limit = 256 * 1024;
  httpServer.on('request', (req, res) => {
    if (req.url === '/health/live') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (url.pathname !== '/graphql') return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      void (async () => {
        const headers = new HeaderMap();
        for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        let body: unknown;
        if (req.method === 'POST') {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] }));
            return;
          }
        }
        const response = await server.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
          context: () => contextFor(req.headers.authorization),
        });
        res.statusCode = response.status ?? 200;
        for (const [name, value] of response.headers) res.setHeader(name, value);
        if (response.body.kind === 'complete') return void res.end(response.body.string);
        for await (const chunk of response.body.asyncIterator) res.write(chunk);
        res.end();
      })().catch((error: unknown) => {
        logger.error({ err: error }, 'request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  });
} else {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health/live', (_req, res) => void res.json({ status: 'ok' }));
  app.use(
    '/graphql',
    express.json({ limit: LIMITS.bodyBytes }),
    expressMiddleware(server, { context: ({ req }) => contextFor(req.headers.authorization) }),
  );
  app.use(bodyErrorHandler(LIMITS.bodyBytes));
  httpServer.on('request', app);
}

await new Promise<void>((resolve) => httpServer.listen(config.GATEWAY_PORT, process.env.GATEWAY_HOST ?? '127.0.0.1', resolve));
logger.warn({ port: config.GATEWAY_PORT, tune: [...tune] }, 'tuned gateway listening');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void server.stop().then(() => process.exit(0)));
}
