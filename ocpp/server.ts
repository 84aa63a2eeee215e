import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { MikroORM } from '@mikro-orm/core';
import type { PostgreSqlDriver } from '@mikro-orm/postgresql';
import express from 'express';
import { RPCServer, type RPCClient } from 'ocpp-rpc';
import type { Logger } from 'pino';
import { Bus, busDatabaseUrl } from '../platform/bus.js';
import type { Config } from '../platform/config.js';
import { EntityClient } from '../platform/entity-client.js';
import { bodyErrorHandler } from '../platform/http-errors.js';
import { createLogger } from '../platform/logger.js';
import { Lifecycle, requestContext } from '../platform/observability.js';
import { databaseReadiness, probeRoutes } from '../platform/probes.js';
import { ReplayGuard } from '../platform/replay-guard.js';
import { chargePointIdOf, checkHandshake, LoginGuard } from './auth.js';
import { commandRoutes, CommandRouter } from './commands.js';
import { loadOcppSettings, ocppDatabaseUrl, type OcppSettings } from './config.js';
import { CLOSE, Connection, ConnectionRegistry, PROTOCOLS, type ConnectionDeps } from './connections.js';
import { openOcppDatabase } from './database.js';
import { MeterBatcher } from './meter-batcher.js';
import { ocppMetrics } from './metrics.js';
import { attachOcpp16 } from './ocpp16.js';
import { attachOcpp201 } from './ocpp201.js';
import { EntityPlatform, type ChargePointLogin, type ChargerPlatform } from './platform.js';
import { PresenceReporter } from './presence.js';

export interface OcppServerOptions {
  config: Config;
  /** Default: read from `config.env`. */
  settings?: OcppSettings;
  logger?: Logger;
  /** Default: the station and session subgraphs at `config.subgraphUrls`, called as the service `ocpp`. */
  platform?: ChargerPlatform;
  /** A server already listening (the stack binds the port before the subgraphs start, to pass them OCPP_URL). */
  httpServer?: http.Server;
  migrate?: boolean;
  poolMax?: number;
  /** Consecutive malformed frames tolerated before a socket is closed (1002). */
  maxBadMessages?: number;
}

export interface OcppServer {
  settings: OcppSettings;
  lifecycle: Lifecycle;
  connections: ConnectionRegistry;
  router: CommandRouter;
  platform: ChargerPlatform;
  presence: PresenceReporter;
  meters: MeterBatcher;
  /** Starts serving (port 0: a free one) unless given a listening server; returns the base URL (`OCPP_URL`). */
  listen(port: number, host?: string): Promise<string>;
  /** Readiness 503 and no new charger connections. */
  beginDraining(): void;
  /** Draining, every charger reported disconnected and its socket closed with 1012, then bus and database close. */
  close(): Promise<void>;
}

interface ServerClient extends RPCClient {
  session: { login?: ChargePointLogin };
}

/** Answers an upgrade request we do not take with a plain HTTP status, then closes the socket. */
function refuseUpgrade(socket: Socket, status: number, message: string): void {
  if (socket.writable)
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
    );
  socket.destroy();
}

/**
 * The largest WebSocket message a charger may send. OCPP messages are a few KB (a 2.0.1 station splits big reports
 * by its BytesPerMessage); without a limit `ws` buffers up to 100 MiB per frame before anything is checked. A larger
 * frame closes the socket with 1009 (Message Too Big), unparsed.
 */
export const MAX_FRAME_BYTES = 256 * 1024;

/** How long shutdown waits for chargers to complete the WebSocket close handshake. */
const CLOSE_WAIT_MS = 3_000;
const settledWithin = (ms: number, work: Promise<unknown>) =>
  Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);

const baseUrl = (server: http.Server, host: string) => `http://${host}:${(server.address() as AddressInfo).port}`;

/** The OCPP process: charger WebSockets at /ocpp/<id>, health, metrics and POST /commands on one HTTP server. */
export async function createOcppServer(options: OcppServerOptions): Promise<OcppServer> {
  const { config } = options;
  const settings = options.settings ?? loadOcppSettings(config.env);
  const logger = options.logger ?? createLogger('ocpp', config.LOG_LEVEL);
  const platform =
    options.platform ??
    new EntityPlatform(
      new EntityClient({
        caller: 'ocpp',
        urls: config.subgraphUrls,
        signingSecret: config.signingSecrets[0],
        timeoutMs: config.SUBGRAPH_TIMEOUT_MS,
      }),
    );
  const orm: MikroORM<PostgreSqlDriver> = await openOcppDatabase(ocppDatabaseUrl(config), logger, options);
  let bus: Bus | undefined;
  try {
    bus = await Bus.connect(busDatabaseUrl(config), logger);
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  const replayGuard = new ReplayGuard(orm, logger);
  const lifecycle = new Lifecycle();
  const connections = new ConnectionRegistry();
  const presence = new PresenceReporter(platform, logger, settings.OCPP_PRESENCE_FLUSH_MS);
  const meters = new MeterBatcher(
    platform,
    logger,
    settings.OCPP_METER_BATCH_MS,
    settings.OCPP_METER_BATCH_MAX,
    settings.OCPP_METER_BATCH_IN_FLIGHT,
  );
  const router = new CommandRouter(connections, bus, settings, logger);
  await router.start();
  const deps: ConnectionDeps = { platform, meters, presence, logger, settings };
  const metrics = ocppMetrics();

  const rpc = new RPCServer({
    protocols: PROTOCOLS,
    strictMode: true,
    // The charger's answer to our commands; the command route allows a little more.
    callTimeoutMs: settings.OCPP_COMMAND_TIMEOUT_MS,
    maxBadMessages: options.maxBadMessages ?? 10,
    respondWithDetailedErrors: false,
    wssOptions: { maxPayload: MAX_FRAME_BYTES },
  });
  const loginGuard = new LoginGuard(settings.OCPP_LOGIN_FAILURES_PER_MINUTE);
  rpc.auth(async (accept, reject, handshake) => {
    const outcome = await checkHandshake(
      {
        identity: handshake.identity,
        password: handshake.password,
        authorization: handshake.headers.authorization,
        protocols: handshake.protocols,
        remoteAddress: handshake.remoteAddress,
      },
      platform,
      logger,
      loginGuard,
    );
    if (!outcome.ok) return reject(outcome.status, outcome.message);
    accept({ login: outcome.login }, outcome.protocol);
  });
  rpc.on('error', (error: Error) => logger.error({ err: error }, 'WebSocket server error'));
  rpc.on('client', (client: ServerClient) => {
    const login = client.session.login;
    if (!login || lifecycle.draining) {
      void client.close({ code: CLOSE.RESTART, reason: 'Service restart' });
      return;
    }
    const connection = new Connection(client, login, deps);
    if (connection.protocol === 'ocpp1.6') attachOcpp16(connection);
    else attachOcpp201(connection);
    const previous = connections.add(connection);
    if (previous) void previous.close('replaced', CLOSE.REPLACED, 'Replaced by a new connection').catch(() => {});
    metrics.connected.inc({ protocol: connection.protocol });
    presence.reportNow(connection.presence(true));
    void router.claim(connection);
    connection.logger.info({ stationId: login.stationId }, 'charge point connected');
    client.once('close', ({ code, reason }: { code: number; reason: string }) => {
      metrics.connected.dec({ protocol: connection.protocol });
      const current = connections.remove(connection);
      // A replaced connection is someone else's to report; at shutdown we reported before closing.
      if (current && connection.closedBy !== 'replaced' && connection.closedBy !== 'shutdown')
        presence.reportNow(connection.presence(false));
      connection.logger.info(
        { code, reason: String(reason), closedBy: connection.closedBy },
        'charge point disconnected',
      );
    });
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext({ service: 'ocpp', logger, lifecycle }));
  app.use(probeRoutes(databaseReadiness(lifecycle, () => orm.isConnected())));
  app.use(commandRoutes({ router, secrets: config.signingSecrets, replayGuard, logger }));
  app.use((_req, res) => void res.status(404).json({ error: { code: 'NOT_FOUND', message: 'Not found.' } }));
  app.use(bodyErrorHandler('16kb'));

  const httpServer = options.httpServer ?? http.createServer();
  httpServer.on('request', app);
  httpServer.on('upgrade', (request: http.IncomingMessage, socket: Socket, head: Buffer) => {
    if (lifecycle.draining) return refuseUpgrade(socket, 503, 'Shutting down; connect again.');
    if (chargePointIdOf(request) === undefined) {
      logger.warn(
        { path: request.url?.slice(0, 200), ip: socket.remoteAddress },
        'WebSocket upgrade on an unknown path',
      );
      return refuseUpgrade(socket, 404, 'Not found');
    }
    void rpc.handleUpgrade(request, socket, head);
  });
  let host = '127.0.0.1';

  const beginDraining = () => void (lifecycle.draining = true);
  let closing: Promise<void> | undefined;
  const close = async () => {
    beginDraining();
    const open = connections.all();
    for (const connection of open) {
      connection.closedBy = 'shutdown';
      presence.reportNow(connection.presence(false));
    }
    await presence.close();
    // A charger that does not complete the close handshake is not waited for long (ws gives it 30 s on its own).
    await settledWithin(
      CLOSE_WAIT_MS,
      Promise.all([
        ...open.map((connection) =>
          connection.close('shutdown', CLOSE.RESTART, 'Service restart; connect again').catch(() => {}),
        ),
        rpc.close({ code: CLOSE.RESTART, reason: 'Service restart; connect again' }),
      ]),
    );
    await meters.drain();
    await new Promise<void>((resolve) => {
      if (!httpServer.listening) return resolve();
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
    await router.close();
    replayGuard.close();
    await bus?.close().catch(() => {});
    await orm.close(true);
    if (open.length) logger.info({ chargers: open.length }, 'charger sockets closed (1012) and reported disconnected');
  };

  return {
    settings,
    lifecycle,
    connections,
    router,
    platform,
    presence,
    meters,
    async listen(port: number, listenHost = host) {
      host = listenHost;
      if (!httpServer.listening)
        await new Promise<void>((resolve, reject) => {
          httpServer.once('error', reject);
          httpServer.listen(port, host, resolve);
        });
      const url = baseUrl(httpServer, host);
      logger.info({ url }, 'OCPP process listening');
      return url;
    },
    beginDraining,
    close() {
      closing ??= close();
      return closing;
    },
  };
}
