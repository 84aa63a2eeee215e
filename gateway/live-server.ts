import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FormattedExecutionResult, GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { ErrorCode } from '../platform/errors.js';
import { Role, type Identity } from '../platform/identity.js';
import type { Lifecycle } from '../platform/observability.js';
import type { TokenVerifier } from './auth.js';
import type { LiveSettings } from './live-config.js';
import {
  clientError,
  fromFormatted,
  prepareLiveOperation,
  toLiveResult,
  type LiveOperation,
  type LiveResult,
} from './live-operation.js';
import { LiveSubscription, type LiveSessions, type LiveStep } from './live-sessions.js';

/** A query run through the gateway's own request pipeline (Apollo Server + @apollo/gateway) for `identity`. */
export type GatewayExecutor = (
  identity: Identity,
  request: { query: string; variables?: Record<string, unknown>; operationName?: string },
) => Promise<FormattedExecutionResult>;

export interface LiveServerOptions {
  httpServer: Server;
  /** Path of the WebSocket endpoint (the same as HTTP GraphQL). */
  path: string;
  lifecycle: Lifecycle;
  settings: LiveSettings;
  verifyToken: TokenVerifier;
  /** The gateway's current API schema (it follows supergraph reloads); undefined before the first load. */
  schema: () => GraphQLSchema | undefined;
  execute: GatewayExecutor;
  sessions: LiveSessions;
  logger: Logger;
  production: boolean;
  /** Largest message a client may send (as the HTTP body limit). */
  maxPayloadBytes: number;
}

export interface LiveServer {
  /** Open WebSocket connections (tests, metrics). */
  readonly connections: number;
  /** Refuses new connections, closes the open ones (1001, clients reconnect elsewhere) and stops listening. */
  close(): Promise<void>;
}

/**
 * Close codes. graphql-ws clients give up on 4401 (no or a bad token) and 1008 (over a limit); they retry 4403 (the
 * token expired: the retry asks `connectionParams` again, so an app that returns a fresh token there just goes on)
 * and 1001 (gateway shutdown: they reconnect to another replica and subscribe again).
 */
const CLOSE = { unauthorized: 4401, expired: 4403, policy: 1008 } as const;

/** Roles that may watch a session: its driver and its operator's admins (the session subgraph decides which). */
const WATCHERS = new Set<Role | undefined>([Role.DRIVER, Role.OPERATOR_ADMIN]);

/** Ended sessions whose payment stands here (or that owe nothing) change no more: the stream may end. */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const SETTLED_PAYMENTS = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
const SETTLEMENT_QUERY =
  'query LiveSessionSettlement($id: ID!) { chargingSession(id: $id) { status cost { total { amount } } payment { status } } }';

interface Connection {
  identity: Identity;
  key: string;
  subscriptions: Set<LiveSubscription>;
  expiry?: NodeJS.Timeout;
}

/**
 * Live sessions over graphql-ws (protocol `graphql-transport-ws`) on the gateway's HTTP server:
 * - the token comes in `connection_init` as `connectionParams.authorization: "Bearer <jwt>"`, verified like an HTTP
 *   request's header (same verifier, same rules); none or a bad one closes the socket with 4401 and the reason, and
 *   the socket is closed when the token expires;
 * - a subscription is checked like an HTTP operation (live-operation.ts) and runs as the query
 *   `chargingSession(id)` through the gateway's own pipeline for the subscriber: once at once, then per bus change;
 * - limits: subscriptions per connection (an `error` message), connections per identity and process (1008).
 */
export function createLiveServer(options: LiveServerOptions): LiveServer {
  const { settings, logger, sessions } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes });
  const connections = new WeakMap<WebSocket, Connection>();
  const perIdentity = new Map<string, number>();

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://gateway').pathname;
    if (path !== options.path) return refuseUpgrade(socket, 404, 'Not Found');
    if (options.lifecycle.draining) return refuseUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  options.httpServer.on('upgrade', onUpgrade);

  const release = (socket: WebSocket) => {
    const connection = connections.get(socket);
    if (!connection) return;
    connections.delete(socket);
    clearTimeout(connection.expiry);
    for (const subscription of [...connection.subscriptions]) subscription.end();
    const left = (perIdentity.get(connection.key) ?? 1) - 1;
    if (left > 0) perIdentity.set(connection.key, left);
    else perIdentity.delete(connection.key);
  };

  const server = useServer<Record<string, unknown> | undefined>(
    {
      isProd: options.production,
      connectionInitWaitTimeout: settings.LIVE_CONNECTION_INIT_TIMEOUT_MS,

      async onConnect(ctx) {
        const socket = ctx.extra.socket;
        const authorization = ctx.connectionParams?.authorization;
        if (typeof authorization !== 'string' || !authorization) {
          close(socket, CLOSE.unauthorized, 'Send the token as connectionParams.authorization: "Bearer <token>".');
          return false;
        }
        let identity: Identity;
        try {
          identity = await options.verifyToken(authorization);
        } catch (error) {
          close(socket, CLOSE.unauthorized, error instanceof Error ? error.message : 'The token is invalid.');
          return false;
        }
        const key = JSON.stringify([identity.role, identity.sub, identity.operatorId]);
        const open = perIdentity.get(key) ?? 0;
        if (open >= settings.LIVE_MAX_CONNECTIONS_PER_IDENTITY) {
          logger.warn({ role: identity.role, sub: identity.sub, open }, 'live: too many connections; refused');
          close(
            socket,
            CLOSE.policy,
            `Too many live connections (limit ${settings.LIVE_MAX_CONNECTIONS_PER_IDENTITY}).`,
          );
          return false;
        }
        if (socket.readyState !== socket.OPEN) return false; // the client left while its token was checked
        perIdentity.set(key, open + 1);
        const connection: Connection = { identity, key, subscriptions: new Set() };
        connections.set(socket, connection);
        const expiresInMs = tokenExpiresInMs(authorization);
        if (expiresInMs !== undefined) {
          connection.expiry = setTimeout(
            () => close(socket, CLOSE.expired, 'The token has expired; reconnect with a fresh one.'),
            Math.max(0, Math.min(expiresInMs, 2 ** 31 - 1)),
          );
          connection.expiry.unref();
        }
        return true;
      },

      async onSubscribe(ctx, _id, payload) {
        const connection = connections.get(ctx.extra.socket);
        if (!connection) return [clientError('The connection is closing.', ErrorCode.UNAUTHENTICATED)];
        if (!WATCHERS.has(connection.identity.role)) {
          return [
            clientError("Live sessions are for the session's driver and its operator's admins.", ErrorCode.FORBIDDEN),
          ];
        }
        if (connection.subscriptions.size >= settings.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION) {
          return [
            clientError(
              `Too many subscriptions on this connection (limit ${settings.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION}); complete one first.`,
              ErrorCode.RATE_LIMITED,
            ),
          ];
        }
        const schema = options.schema();
        if (!schema) return [clientError('The gateway is starting; try again shortly.', 'SERVICE_UNAVAILABLE')];
        const prepared = prepareLiveOperation(schema, payload, { production: options.production });
        if ('errors' in prepared) return prepared.errors;
        const { operation } = prepared;
        const subscription = new LiveSubscription(
          operation.sessionId,
          () => runStep(options, connection.identity, operation),
          (ended) => {
            connection.subscriptions.delete(ended);
            sessions.unwatch(ended);
          },
        );
        // Counted before the bus is awaited, so concurrent subscribes cannot pass the limit together.
        connection.subscriptions.add(subscription);
        try {
          await sessions.ready();
        } catch {
          subscription.end();
          return [
            clientError('Live updates are unavailable right now; try again shortly.', ErrorCode.SERVICE_UNAVAILABLE),
          ];
        }
        if (!connections.has(ctx.extra.socket)) {
          subscription.end();
          return [clientError('The connection is closing.', ErrorCode.UNAUTHENTICATED)];
        }
        // Watching before the first run: a change committed meanwhile runs it again rather than being missed.
        sessions.watch(subscription);
        return {
          schema,
          document: operation.document,
          operationName: operation.operationName,
          variableValues: operation.variables,
          contextValue: subscription,
        };
      },

      // The subscription prepared in onSubscribe arrives as the context value.
      subscribe: ({ contextValue }) =>
        contextValue instanceof LiveSubscription
          ? contextValue
          : { errors: [clientError('This subscription cannot be served.', 'BAD_REQUEST')] },

      onClose(ctx) {
        release(ctx.extra.socket);
      },
    },
    wss,
    settings.LIVE_KEEP_ALIVE_MS,
  );

  return {
    get connections() {
      return wss.clients.size;
    },
    async close() {
      options.httpServer.off('upgrade', onUpgrade);
      // Sockets first (1001, without `complete`: clients subscribe again elsewhere), then the bus. A client that does
      // not answer the close handshake within a second is cut off.
      const cutOff = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
      }, 1_000);
      await server.dispose();
      clearTimeout(cutOff);
      await sessions.close();
    },
  };
}

/** Runs the subscription's query for the subscriber; when the session has ended, checks whether it is settled. */
async function runStep(options: LiveServerOptions, identity: Identity, operation: LiveOperation): Promise<LiveStep> {
  let live: LiveResult;
  try {
    live = toLiveResult(
      operation,
      await options.execute(identity, {
        query: operation.query,
        variables: operation.variables,
        operationName: operation.operationName,
      }),
    );
  } catch (error) {
    options.logger.error({ err: error, sessionId: operation.sessionId }, 'live: run failed');
    return {
      result: {
        data: null,
        errors: [
          clientError('This update could not be read; the next change is sent again.', ErrorCode.INTERNAL_SERVER_ERROR),
        ],
      },
      last: false,
    };
  }
  const last =
    live.final ||
    (live.status !== undefined && ENDED.has(live.status) && (await settled(options, identity, operation)));
  return {
    result: {
      ...(live.data !== undefined ? { data: live.data } : {}),
      ...(live.errors ? { errors: live.errors.map(fromFormatted) } : {}),
    },
    last,
  };
}

/** An ended session is settled when its payment succeeded, failed or was cancelled, or when nothing is due. */
async function settled(options: LiveServerOptions, identity: Identity, operation: LiveOperation): Promise<boolean> {
  try {
    const { data, errors } = await options.execute(identity, {
      query: SETTLEMENT_QUERY,
      variables: { id: operation.sessionId },
    });
    if (errors?.length || !data) return false;
    const session = data.chargingSession;
    if (!isRecord(session) || typeof session.status !== 'string' || !ENDED.has(session.status)) return false;
    const payment = session.payment;
    if (isRecord(payment)) return typeof payment.status === 'string' && SETTLED_PAYMENTS.has(payment.status);
    if (payment !== null) return false;
    // No payment: nothing is due for a session that failed or was cancelled, or that cost nothing.
    const cost = isRecord(session.cost) && isRecord(session.cost.total) ? session.cost.total.amount : undefined;
    return session.status !== 'COMPLETED' || cost === 0;
  } catch {
    return false; // asked again on the next change
  }
}

/** Seconds until the token's `exp` (already verified), as ms; undefined without one. */
function tokenExpiresInMs(authorization: string): number | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (!token) return undefined;
  try {
    const { exp } = decodeJwt(token);
    return exp === undefined ? undefined : exp * 1000 - Date.now();
  } catch {
    return undefined;
  }
}

/** WebSocket close reasons are at most 123 bytes. */
function close(socket: WebSocket, code: number, reason: string): void {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -2);
  socket.close(code, text);
}

function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
