import type { Logger } from 'pino';
import type { RPCClient } from 'ocpp-rpc';
import type { OcppSettings } from './config.js';
import { genericError, platformError, rpcCode } from './errors.js';
import type { MeterBatcher } from './meter-batcher.js';
import { actionLabel, ocppMetrics } from './metrics.js';
import type {
  ChargePointConnector,
  ChargePointLogin,
  ChargerPlatform,
  ConnectorStatus,
  OcppProtocol,
  PresenceReport,
} from './platform.js';
import type { PresenceReporter } from './presence.js';

export type Protocol = 'ocpp1.6' | 'ocpp2.0.1';
export const PROTOCOLS: Protocol[] = ['ocpp2.0.1', 'ocpp1.6'];
const PLATFORM_PROTOCOL: Record<Protocol, OcppProtocol> = { 'ocpp1.6': 'OCPP16', 'ocpp2.0.1': 'OCPP201' };

/** WebSocket close codes we use. */
export const CLOSE = {
  /** Service restart: the charger reconnects (to another replica). */
  RESTART: 1012,
  /** Policy violation: message flood. */
  POLICY: 1008,
  /** Closed on the platform's request (charge point removed, password rotated). */
  NORMAL: 1000,
  /** A newer connection of the same charge point took over. */
  REPLACED: 4000,
} as const;

/** What every connection's handlers use. */
export interface ConnectionDeps {
  platform: ChargerPlatform;
  meters: MeterBatcher;
  presence: PresenceReporter;
  logger: Logger;
  settings: OcppSettings;
}

/** Why we closed a socket: a replaced or restarting connection is not reported disconnected by this replica. */
export type CloseCause = 'replaced' | 'shutdown' | 'command' | 'flood';

/**
 * One charge point's live connection on this replica: who it is (from login), what it booted as, when it was last
 * heard, its connectors' reported statuses, and the per-connection message rate limit.
 */
export class Connection {
  readonly chargePointId: string;
  readonly protocol: Protocol;
  readonly logger: Logger;
  /** When the socket was accepted: between replicas, the newer connection of a charger wins. */
  readonly connectedAt = Date.now();
  boot: { vendor?: string; model?: string; firmwareVersion?: string } = {};
  lastSeen = new Date();
  closedBy: CloseCause | undefined;
  private readonly ownStatus = new Map<number, ConnectorStatus>();
  private wholeStatus: ConnectorStatus | undefined;
  private windowStart = Date.now();
  private windowCount = 0;
  private readonly refused = new Set<string>();

  constructor(
    readonly client: RPCClient,
    readonly login: ChargePointLogin,
    readonly deps: ConnectionDeps,
  ) {
    this.chargePointId = login.chargePointId;
    this.protocol = client.protocol === 'ocpp1.6' ? 'ocpp1.6' : 'ocpp2.0.1';
    this.logger = deps.logger.child({ chargePointId: this.chargePointId, protocol: this.protocol });
    const metrics = ocppMetrics();
    // Every inbound call (also unknown actions and schema violations) counts towards the rate limit and metrics.
    client.on('call', ({ outbound, payload }: { outbound: boolean; payload: unknown[] }) => {
      if (!outbound) this.admit(String(payload[1]));
    });
    client.on('badMessage', ({ error }: { error: Error }) => {
      this.logger.warn({ reason: error.message }, 'malformed OCPP frame');
      this.admit(undefined);
    });
    client.on('callResult', ({ outbound, method }: { outbound: boolean; method: string }) => {
      if (!outbound) metrics.messages.inc({ action: actionLabel(method), result: 'ok' });
    });
    client.on('callError', ({ outbound, method, error }: { outbound: boolean; method: string; error: unknown }) => {
      if (outbound) return;
      const code = rpcCode(error);
      metrics.messages.inc({ action: actionLabel(method), result: code });
      this.logger.info({ action: method, code, reason: (error as Error).message }, 'answered a call with CALLERROR');
    });
    client.on(
      'strictValidationFailure',
      ({ method, outbound, isCall, error }: { method: string; outbound: boolean; isCall: boolean; error: Error }) =>
        this.logger.warn({ action: method, outbound, isCall, reason: error.message }, 'OCPP schema violation'),
    );
  }

  get platformProtocol(): OcppProtocol {
    return PLATFORM_PROTOCOL[this.protocol];
  }

  /** The station's connector with this OCPP number (EVSE id in 2.0.1), if it has one. */
  connector(ocppConnectorId: number): ChargePointConnector | undefined {
    return this.login.connectors.find((connector) => connector.ocppConnectorId === ocppConnectorId);
  }

  /**
   * Registers a handler for one action: refused when over the rate limit, the charger marked as seen, errors of
   * the platform turned into InternalError (the charger sends the message again).
   */
  handle<P>(action: string, handler: (params: P) => Promise<object> | object): void {
    this.client.handle(action, async ({ params, messageId }) => {
      if (messageId !== undefined && this.refused.delete(messageId))
        throw genericError('Too many messages on this connection; slow down.');
      this.seen();
      try {
        // Strict mode validated params against the protocol's schema before this runs.
        return await handler(params as P);
      } catch (error) {
        if (typeof (error as { rpcErrorCode?: unknown }).rpcErrorCode === 'string') throw error;
        this.logger.warn({ err: error, action }, 'the platform could not process a charger message');
        throw platformError(error);
      }
    });
  }

  /**
   * BootNotification, either protocol: what the charger booted as is reported at once (firmware, model on
   * `Station.chargePoints`), and it is accepted with our heartbeat interval.
   */
  booted(boot: Connection['boot']): { status: 'Accepted'; currentTime: string; interval: number } {
    this.boot = boot;
    this.deps.presence.reportNow(this.presence(true));
    const interval = this.deps.settings.OCPP_HEARTBEAT_INTERVAL_SECONDS;
    return { status: 'Accepted', currentTime: new Date().toISOString(), interval };
  }

  /** A sign of life: presence (last seen, offline after) is reported with the next coalesced batch. */
  seen(): void {
    this.lastSeen = new Date();
    this.deps.presence.reportLater(this.presence(true));
  }

  presence(connected: boolean): PresenceReport {
    const intervalMs = this.deps.settings.OCPP_HEARTBEAT_INTERVAL_SECONDS * 1000;
    return {
      chargePointId: this.chargePointId,
      connected,
      protocol: this.platformProtocol,
      lastSeenAt: this.lastSeen,
      offlineAfter: connected ? new Date(this.lastSeen.getTime() + 3 * intervalMs) : new Date(),
      ...this.boot,
    };
  }

  /** A connector's own status (what the charger reports for it); the whole charger's fault still wins. */
  async reportConnectorStatus(ocppConnectorId: number, status: ConnectorStatus, at: Date): Promise<void> {
    this.ownStatus.set(ocppConnectorId, status);
    await this.sendStatus(ocppConnectorId, this.wholeStatus ?? status, at);
  }

  /**
   * Connector 0 (1.6) / EVSE 0 (2.0.1) is the whole charger: Unavailable or Faulted applies to every connector;
   * back to normal, each connector gets its own last status again.
   */
  async reportWholeStatus(status: ConnectorStatus | undefined, at: Date): Promise<void> {
    this.wholeStatus = status;
    await Promise.all(
      this.login.connectors.map((connector) => {
        const effective = status ?? this.ownStatus.get(connector.ocppConnectorId);
        return effective ? this.sendStatus(connector.ocppConnectorId, effective, at) : undefined;
      }),
    );
  }

  async close(cause: CloseCause, code: number, reason: string): Promise<void> {
    this.closedBy ??= cause;
    // A close reason is at most 123 bytes.
    await this.client.close({ code, reason: Buffer.from(reason).subarray(0, 120).toString('utf8') });
  }

  private async sendStatus(ocppConnectorId: number, status: ConnectorStatus, at: Date): Promise<void> {
    await this.deps.platform.reportConnectorStatus({ chargePointId: this.chargePointId, ocppConnectorId, status, at });
  }

  /** Fixed window per connection: over the limit a call is refused, over twice the limit the socket is closed. */
  private admit(messageId: string | undefined): void {
    const { OCPP_RATE_LIMIT_MESSAGES: limit, OCPP_RATE_LIMIT_WINDOW_SECONDS: window } = this.deps.settings;
    const now = Date.now();
    if (now - this.windowStart >= window * 1000) {
      this.windowStart = now;
      this.windowCount = 0;
      this.refused.clear();
    }
    this.windowCount++;
    if (this.windowCount <= limit) return;
    if (messageId !== undefined) this.refused.add(messageId);
    if (this.windowCount === limit + 1)
      this.logger.warn({ limit, windowSeconds: window }, 'charger message rate limit hit');
    if (this.windowCount > 2 * limit && !this.closedBy) {
      this.logger.warn({ limit, windowSeconds: window }, 'charger keeps flooding; closing its connection');
      void this.close('flood', CLOSE.POLICY, 'Message rate limit exceeded').catch(() => {});
    }
  }
}

/** The connections this replica holds, by charge point id (one per charge point). */
export class ConnectionRegistry {
  private readonly byId = new Map<string, Connection>();

  get(chargePointId: string): Connection | undefined {
    return this.byId.get(chargePointId);
  }

  /** Adds a connection; returns the older one of the same charge point it replaces, if any. */
  add(connection: Connection): Connection | undefined {
    const previous = this.byId.get(connection.chargePointId);
    this.byId.set(connection.chargePointId, connection);
    return previous;
  }

  /** Removes it if it is still the charge point's current connection. */
  remove(connection: Connection): boolean {
    if (this.byId.get(connection.chargePointId) !== connection) return false;
    this.byId.delete(connection.chargePointId);
    return true;
  }

  all(): Connection[] {
    return [...this.byId.values()];
  }

  get size(): number {
    return this.byId.size;
  }
}
