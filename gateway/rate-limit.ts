import { createHash } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import pg from 'pg';
import type { Logger } from 'pino';
import {
  RateLimiterMemory,
  RateLimiterPostgres,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Config } from '../platform/config.js';
import { ensureDatabase } from '../platform/database-admin.js';
import { ErrorCode } from '../platform/errors.js';
import type { Identity } from '../platform/identity.js';
import type { GatewayContext } from './context.js';

/*
 * Per-identity rate limit on mutations. Every root mutation field of an operation costs one point (so aliasing a
 * mutation 15 times costs 15), counted per token subject, or per client IP without a token. The counters live in
 * PostgreSQL (the gateway's own database `<DATABASE_PREFIX>_gateway`), so every gateway replica shares them. When
 * that database cannot be reached, each replica keeps counting in memory with the same limit until it can again.
 * Over the limit: the GraphQL error RATE_LIMITED, HTTP 429 and a Retry-After header. Queries are not counted.
 */

const settingsSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  /**
   * Mutation fields per window and subject; 0 turns the limit off. Default 60, except under NODE_ENV=test where
   * tests seed through the API at full speed: there it is off unless set (the abuse suite sets it).
   */
  RATE_LIMIT_MUTATIONS: z.coerce.number().int().min(0).max(1_000_000).optional(),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Reverse proxies in front of the gateway that append to X-Forwarded-For (0: use the socket's address). */
  RATE_LIMIT_TRUSTED_PROXIES: z.coerce.number().int().min(0).max(10).default(0),
});

export interface RateLimitSettings {
  points: number;
  windowSeconds: number;
  trustedProxies: number;
}

/** Reads the limit's settings from the environment the gateway's config was read from. */
export function loadRateLimitSettings(env: NodeJS.ProcessEnv): RateLimitSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid rate limit configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const e = parsed.data;
  const points = e.RATE_LIMIT_MUTATIONS ?? (e.NODE_ENV === 'test' ? 0 : 60);
  return { points, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS, trustedProxies: e.RATE_LIMIT_TRUSTED_PROXIES };
}

/** The gateway's own database on the configured server (it keeps nothing but rate-limit counters). */
export function gatewayDatabaseUrl(config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PREFIX'>): string {
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${config.DATABASE_PREFIX}_gateway`;
  return url.toString();
}

export const RATE_LIMIT_TABLE = 'mutation_rate_limit';

/**
 * Set by the gateway on every incoming request, before anything else sees it: the address the limit counts an
 * anonymous caller by. Whatever a client sends under this name is overwritten.
 */
export const PEER_HEADER = 'x-chargegraph-peer';

export interface RateLimitOptions {
  config: Pick<Config, 'DATABASE_URL' | 'DATABASE_PREFIX' | 'env'>;
  logger: Logger;
  /** The gateway's HTTP server: the limit learns each request's client address from it. */
  httpServer: Server;
}

export function mutationRateLimit({
  config,
  logger,
  httpServer,
}: RateLimitOptions): ApolloServerPlugin<GatewayContext> {
  const settings = loadRateLimitSettings(config.env);
  if (settings.points === 0) {
    if (config.env.NODE_ENV !== 'test') logger.warn('mutation rate limit is off (RATE_LIMIT_MUTATIONS=0)');
    return {};
  }
  httpServer.prependListener('request', (req: IncomingMessage) => {
    req.headers[PEER_HEADER] = clientAddress(req, settings.trustedProxies);
  });
  const store = new CounterStore(gatewayDatabaseUrl(config), settings, logger);

  return {
    async serverWillStart() {
      await store.start();
      return {
        async serverWillStop() {
          await store.close();
        },
      };
    },
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, contextValue, request, response }) {
          if (operation?.operation !== 'mutation') return;
          const points = Math.max(1, rootFieldCount(operation, document));
          const key = subjectKey(contextValue.identity, request.http?.headers.get(PEER_HEADER));
          const refusal = await store.consume(key, points);
          if (!refusal) return;
          const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
          response.http.status = 429;
          response.http.headers.set('retry-after', String(retryAfter));
          throw rateLimited(settings, retryAfter);
        },
      };
    },
  };
}

/** The counter key: the token's subject, else the client address; hashed (fixed length, no personal data stored). */
function subjectKey(identity: Identity, peer: string | undefined): string {
  const subject = identity.role && identity.sub ? `sub:${identity.sub}` : `ip:${peer ?? 'unknown'}`;
  return createHash('sha256').update(subject).digest('hex');
}

function clientAddress(req: IncomingMessage, trustedProxies: number): string {
  const socket = req.socket.remoteAddress ?? 'unknown';
  if (trustedProxies === 0) return socket;
  // Each trusted proxy appends the address it received the request from: the client is that many from the right.
  const forwarded = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  return forwarded[forwarded.length - trustedProxies] ?? forwarded[0] ?? socket;
}

/** Root mutation fields, through inline fragments and fragment spreads (`mutation { a: x b: x ...F }`). */
function rootFieldCount(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = new Map(
    document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d.selectionSet]),
  );
  const seen = new Set<string>();
  const count = (selectionSet: SelectionSetNode): number =>
    selectionSet.selections.reduce((sum, selection) => {
      if (selection.kind === Kind.FIELD) return sum + (selection.name.value === '__typename' ? 0 : 1);
      if (selection.kind === Kind.INLINE_FRAGMENT) return sum + count(selection.selectionSet);
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) return sum;
      seen.add(name);
      return sum + count(fragment);
    }, 0);
  return count(operation.selectionSet);
}

/** RATE_LIMITED (kept by the error formatter: platform/errors.ts lists it); HTTP 429 and Retry-After are set above. */
function rateLimited(settings: RateLimitSettings, retryAfter: number): GraphQLError {
  return new GraphQLError(
    `Too many changes: at most ${settings.points} mutations per ${settings.windowSeconds} seconds. Try again in ${retryAfter} seconds.`,
    {
      extensions: { code: ErrorCode.RATE_LIMITED, retryAfterSeconds: retryAfter },
    },
  );
}

const RETRY_OPEN_MS = 30_000;
/** How long the gateway's start waits for the counters' database before serving with memory counters. */
const OPEN_WAIT_MS = 3_000;

/**
 * The counters: in PostgreSQL once its table is there, in this process's memory until then and whenever the
 * database fails (rate-limiter-flexible's insurance limiter), so an outage neither stops mutations nor the limit.
 */
class CounterStore {
  private readonly memory: RateLimiterMemory;
  private shared?: RateLimiterAbstract;
  private pool?: pg.Pool;
  private retry?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly settings: RateLimitSettings,
    private readonly logger: Logger,
  ) {
    this.memory = new RateLimiterMemory({
      keyPrefix: 'mutation',
      points: settings.points,
      duration: settings.windowSeconds,
    });
  }

  /** Waits for the database at most OPEN_WAIT_MS: a slow or unreachable one never holds the gateway's start. */
  async start(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.open(), new Promise<void>((resolve) => (timer = setTimeout(resolve, OPEN_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Creates the database and the table; on failure counts in memory and tries again later. Never throws. */
  private async open(): Promise<void> {
    let pool: pg.Pool | undefined;
    try {
      await ensureDatabase(this.url);
      pool = new pg.Pool({
        connectionString: this.url,
        max: 5,
        idleTimeoutMillis: 10_000,
        connectionTimeoutMillis: 2_000,
      });
      pool.on('error', (error) => this.logger.warn({ reason: error.message }, 'rate limit database connection failed'));
      const client = pool;
      const shared = await new Promise<RateLimiterAbstract>((resolve, reject) => {
        const limiter: RateLimiterPostgres = new RateLimiterPostgres(
          {
            storeClient: client,
            storeType: 'pool',
            tableName: RATE_LIMIT_TABLE,
            keyPrefix: 'mutation',
            points: this.settings.points,
            duration: this.settings.windowSeconds,
            insuranceLimiter: this.memory,
          },
          (error?: unknown) =>
            error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(limiter),
        );
      });
      if (this.closed) return void (await pool.end().catch(() => {}));
      this.pool = pool;
      this.shared = shared;
    } catch (error) {
      await pool?.end().catch(() => {});
      if (this.closed) return;
      this.logger.warn(
        { reason: (error as Error).message },
        'rate limit database unavailable; counting in memory until it is back',
      );
      this.retry = setTimeout(() => void this.open(), RETRY_OPEN_MS).unref();
    }
  }

  /** Takes `points` from the key's budget; returns the refusal when the budget is exhausted. */
  async consume(key: string, points: number): Promise<RateLimiterRes | undefined> {
    try {
      await (this.shared ?? this.memory).consume(key, points);
      return undefined;
    } catch (outcome) {
      if (outcome instanceof RateLimiterRes) return outcome;
      // Neither store answered (should not happen: memory always does). Do not block mutations over it.
      this.logger.error({ reason: (outcome as Error).message }, 'rate limit store failed');
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    await this.pool?.end().catch(() => {});
  }
}
