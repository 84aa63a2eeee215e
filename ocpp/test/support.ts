import http from 'node:http';
import { RPCClient } from 'ocpp-rpc';
import type { Config } from '../../platform/config.js';
import { dropDatabase } from '../../platform/database-admin.js';
import { busDatabaseUrl } from '../../platform/bus.js';
import { testConfig } from '../../test/support/config.js';
import { loadOcppSettings, ocppDatabaseUrl } from '../config.js';
import { createOcppServer, type OcppServer } from '../server.js';
import type {
  AuthorizeInput,
  ChargePointLogin,
  ChargerPlatform,
  ConnectorStatusReport,
  IdTagStatus,
  MeterValueInput,
  MeterValueResult,
  PresenceReport,
  StartTransactionInput,
  StopTransactionInput,
  TransactionStart,
} from '../platform.js';

/** A charge point the double knows: its password and what login returns. */
export interface FakeChargePoint {
  password: string;
  login: ChargePointLogin;
}

/**
 * ChargerPlatform double: answers as the PLAN contract says and records every call. Meter values are refused
 * (METER_VALUE_IMPLAUSIBLE) when the register goes backwards for a transaction.
 */
export class FakePlatform implements ChargerPlatform {
  readonly chargePoints = new Map<string, FakeChargePoint>();
  readonly tags = new Map<string, IdTagStatus>([['GOODTAG', 'ACCEPTED']]);
  readonly calls = {
    presence: [] as PresenceReport[][],
    status: [] as ConnectorStatusReport[],
    authorize: [] as AuthorizeInput[],
    start: [] as StartTransactionInput[],
    meterBatches: [] as MeterValueInput[][],
    stop: [] as StopTransactionInput[],
  };
  private nextTransaction = 1000;
  private readonly registers = new Map<string, number>();
  /** A delay before meter values are answered (to see that CALLRESULT waits). */
  meterDelayMs = 0;

  addChargePoint(chargePointId: string, connectors = 2, password = `pw-${chargePointId}-0123456789abcdef`) {
    const login: ChargePointLogin = {
      id: `cp-${chargePointId}`,
      chargePointId,
      stationId: `station-${chargePointId}`,
      operatorId: 'operator-1',
      connectors: Array.from({ length: connectors }, (_, index) => ({
        ocppConnectorId: index + 1,
        connectorId: `connector-${chargePointId}-${index + 1}`,
        powerKw: 22,
      })),
    };
    this.chargePoints.set(chargePointId, { password, login });
    return { chargePointId, password, login };
  }

  logins = 0;

  async chargePointLogin(chargePointId: string, password: string): Promise<ChargePointLogin | null> {
    this.logins++;
    const known = this.chargePoints.get(chargePointId);
    return known && known.password === password ? known.login : null;
  }

  async reportChargePointPresence(reports: PresenceReport[]): Promise<number> {
    this.calls.presence.push(reports);
    return reports.length;
  }

  async reportConnectorStatus(report: ConnectorStatusReport): Promise<boolean> {
    this.calls.status.push(report);
    return true;
  }

  async chargerAuthorize(input: AuthorizeInput): Promise<IdTagStatus> {
    this.calls.authorize.push(input);
    return this.tags.get(input.idTag) ?? 'INVALID';
  }

  async chargerStartTransaction(input: StartTransactionInput): Promise<TransactionStart> {
    this.calls.start.push(input);
    const transactionId = input.transactionId ?? String(this.nextTransaction++);
    const status = input.idTag
      ? (this.tags.get(input.idTag) ?? 'INVALID')
      : input.remoteStartId
        ? 'ACCEPTED'
        : 'INVALID';
    return { transactionId, idTagStatus: status, sessionId: status === 'ACCEPTED' ? `session-${transactionId}` : null };
  }

  async chargerMeterValues(values: MeterValueInput[]): Promise<MeterValueResult[]> {
    this.calls.meterBatches.push(values);
    if (this.meterDelayMs) await new Promise((resolve) => setTimeout(resolve, this.meterDelayMs));
    return values.map((value) => {
      const previous = this.registers.get(value.transactionId) ?? 0;
      if (value.energyRegisterWh < previous)
        return {
          accepted: false,
          code: 'METER_VALUE_IMPLAUSIBLE',
          message: `Energy register went backwards (${previous} → ${value.energyRegisterWh} Wh).`,
        };
      this.registers.set(value.transactionId, value.energyRegisterWh);
      return { accepted: true, code: null, message: null };
    });
  }

  async chargerStopTransaction(input: StopTransactionInput): Promise<boolean> {
    this.calls.stop.push(input);
    return true;
  }

  /** Every presence report sent, flattened. */
  presenceOf(chargePointId: string): PresenceReport[] {
    return this.calls.presence.flat().filter((report) => report.chargePointId === chargePointId);
  }
}

export interface TestOcpp {
  server: OcppServer;
  url: string;
  wsUrl: string;
  config: Config;
}

/** An OCPP server on a free port with the given platform; replicas share `config` (same bus and database). */
export async function startOcpp(
  platform: ChargerPlatform,
  config: Config = testConfig(),
  settings: Record<string, string> = {},
): Promise<TestOcpp> {
  const server = await createOcppServer({
    config,
    platform,
    settings: loadOcppSettings({ ...config.env, ...settings }),
  });
  const url = await server.listen(0);
  return { server, url, wsUrl: `${url.replace('http', 'ws')}/ocpp`, config };
}

export async function dropOcppDatabases(config: Config): Promise<void> {
  await Promise.all([dropDatabase(ocppDatabaseUrl(config)), dropDatabase(busDatabaseUrl(config))]);
}

export type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

/** A charger as a test drives it: ocpp-rpc's RPCClient, no reconnects, no client-side schema checks. */
export function charger(endpoint: string, identity: string, password: string | null, protocol: Protocol): RPCClient {
  return new RPCClient({
    endpoint,
    identity,
    password,
    protocols: [protocol],
    strictMode: false,
    strictModeValidators: [],
    reconnect: false,
    maxReconnects: 0,
    callTimeoutMs: 5_000,
    pingIntervalMs: 30_000,
    deferPingsOnActivity: false,
    respondWithDetailedErrors: false,
    callConcurrency: 10,
    maxBadMessages: Infinity,
    wsOpts: {},
    headers: {},
    backoff: { initialDelay: 100, maxDelay: 1_000, factor: 2, randomisationFactor: 0.25 },
  });
}

/** The CALLERROR an RPCClient call rejected with: its code and message. */
export async function callError(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    return { code: String((error as { rpcErrorCode?: unknown }).rpcErrorCode), message: (error as Error).message };
  }
  throw new Error('expected a CALLERROR');
}

/** Resolves with the socket's close code and reason. */
export const closed = (client: RPCClient): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) =>
    client.once('close', ({ code, reason }: { code: number; reason: string | Buffer }) =>
      resolve({ code, reason: String(reason) }),
    ),
  );

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The HTTP status a handshake was refused with (RPCClient's connect rejects with it as `code`). */
export async function refusedWith(connect: Promise<unknown>): Promise<number> {
  try {
    await connect;
  } catch (error) {
    return Number((error as { code?: unknown }).code);
  }
  throw new Error('expected the handshake to be refused');
}

/**
 * A raw WebSocket upgrade request to `baseUrl` + `path` (for paths and headers RPCClient would not send): the HTTP
 * status answered, 101 when the server upgraded (the socket is closed at once).
 */
export function upgrade(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${path}`, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': 'ocpp1.6',
        ...headers,
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve(101);
    });
    request.on('error', reject);
    request.end();
  });
}

/** The HTTP Basic header of a charge point id and password. */
export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** The next raw frame the server sends this client, parsed. */
export const nextFrame = (client: RPCClient): Promise<unknown[]> =>
  new Promise((resolve) => {
    const listener = ({ message, outbound }: { message: string; outbound: boolean }) => {
      if (outbound) return;
      client.off('message', listener);
      resolve(JSON.parse(message) as unknown[]);
    };
    client.on('message', listener);
  });
