import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRPCError, type RPCClient } from 'ocpp-rpc';
import {
  connectorStatus201,
  endTrigger201,
  type Authorize16Response,
  type Authorize201Response,
  type BootNotificationResponse,
  type BootStatus,
  type ChangeConfiguration16Request,
  type ConnectorStatus,
  type GetConfiguration16Request,
  type RemoteStartTransaction16Request,
  type RemoteStopTransaction16Request,
  type RequestStartTransaction201Request,
  type RequestStopTransaction201Request,
  type StartTransaction16Response,
  type StopReason,
  type TransactionEvent201Response,
  type TriggerMessage16Request,
  type TriggerMessage201Request,
} from './messages.js';
import { createRpcClient, rpcErrorCode, upgradeStatus, type OcppProtocol } from './rpc.js';
import { loadChargerState, saveChargerState, type SavedConnector } from './state.js';

export type { OcppProtocol } from './rpc.js';
export type { ConnectorStatus, StopReason } from './messages.js';

export interface ChargerOptions {
  /** The CSMS endpoint without the charge point id, e.g. ws://localhost:4010/ocpp. */
  url: string;
  chargePointId: string;
  /** HTTP Basic auth password (security profile 1/2); none → no Authorization header. */
  password?: string;
  protocol: OcppProtocol;
  /** Number of connectors (1.6 connector ids / 2.0.1 EVSE ids 1…n, each EVSE with connector 1). */
  connectors: number;
  /** Power each connector delivers while charging: one figure for all, or one per connector. */
  powerKw: number | readonly number[];
  /** Time between meter values of a running transaction (default 1 s). */
  meterIntervalMs?: number;
  /** Pause between the steps of a start or stop (Preparing → StartTransaction, Finishing → Available). */
  stepDelayMs?: number;
  /** Answer every RemoteStartTransaction / RequestStartTransaction with Rejected. */
  refuseRemoteStart?: boolean;
  /** Never answer a command from the CSMS (it runs into its timeout). */
  ignoreCommands?: boolean;
  /** Multiplies the energy reported per interval: 1 is the connector's power, 50 an implausible meter. */
  energyScale?: number;
  /** Where to start each connector's energy register (Wh); real meters never start at 0. */
  initialRegisterWh?: number;
  callTimeoutMs?: number;
  /**
   * Keep meter registers and open transactions in this file, like a real charger's memory: after a restart the
   * transactions a crash left open are ended (reason PowerLoss) with the last saved register.
   */
  stateFile?: string;
  vendor?: string;
  model?: string;
  firmwareVersion?: string;
  /** One human-readable line per thing the charger does. */
  log?: (line: string) => void;
}

export interface ChargerTransaction {
  connector: number;
  /** As the platform knows it: 1.6 the CSMS's integer as a string, 2.0.1 the charger's own UUID. */
  transactionId: string;
  idTag: string;
  remoteStartId?: number;
  meterStartWh: number;
}

export interface ChargerEvents {
  connected: { reconnect: boolean };
  disconnected: { code: number; reason: string };
  booted: { status: BootStatus; heartbeatIntervalS: number };
  heartbeat: { currentTime: string };
  status: { connector: number; status: ConnectorStatus };
  remoteStartAccepted: { connector: number; idTag: string; remoteStartId?: number };
  remoteStartRefused: { connector?: number; idTag: string; reason: string };
  remoteStopAccepted: { connector: number; transactionId: string };
  remoteStopRefused: { transactionId: string };
  commandIgnored: { method: string };
  authorized: { connector: number; idTag: string; status: string };
  transactionStarted: ChargerTransaction;
  /** The CSMS answered the start with an idTag status other than Accepted; the charger ended it at once. */
  transactionRejected: { connector: number; idTag: string; status: string; transactionId: string };
  meterValues: { connector: number; transactionId: string; energyRegisterWh: number; energyWh: number };
  transactionStopped: ChargerTransaction & { reason: StopReason; meterStopWh: number; energyWh: number };
  /** A call to the CSMS failed: an OCPP CALLERROR (code set), a timeout or a lost connection. */
  callFailed: { method: string; message: string; code?: string };
}
type EventName = keyof ChargerEvents;

export type TagResult =
  | { accepted: true; transaction: ChargerTransaction }
  | { accepted: false; status: string; stage: 'Authorize' | 'StartTransaction' };

interface Transaction extends ChargerTransaction {
  /** 1.6: the integer the CSMS assigned; 2.0.1: our UUID. */
  ocppId: number | string;
  lastSampleAt: number;
  seqNo: number;
  timer?: NodeJS.Timeout;
  stopping: boolean;
}

interface Connector {
  id: number;
  powerKw: number;
  status: ConnectorStatus;
  /** The energy register, fractional Wh (reported rounded down). */
  registerWh: number;
  /** A start is under way (remote start accepted or a tag presented) but not yet confirmed. */
  starting: boolean;
  transaction?: Transaction;
}

const ENERGY = 'Energy.Active.Import.Register';
/** How long close() waits for the charger's own calls under way. */
const CLOSE_DRAIN_MS = 5_000;

/**
 * A simulated charge point speaking OCPP 1.6-J or 2.0.1 through ocpp-rpc's client (a real OCPP library, nothing of
 * our own server). It boots, reports its connectors, heartbeats, follows remote starts and stops with transactions
 * and meter values at its connectors' power, and lets a test (or a person) plug in with an RFID tag or unplug.
 * It reconnects by itself and boots again on every new connection, so a restarted CSMS learns its state.
 */
export class SimulatedCharger {
  readonly chargePointId: string;
  readonly protocol: OcppProtocol;
  private readonly rpc: RPCClient;
  private readonly events = new EventEmitter();
  private readonly connectors: Connector[];
  private readonly options: ChargerOptions;
  private meterIntervalMs: number;
  private readonly stepDelayMs: number;
  private readonly energyScale: number;
  private heartbeatTimer?: NodeJS.Timeout;
  private heartbeatIntervalS = 0;
  private connection = 0;
  private closed = false;
  private bootedOnce = false;
  /** Calls to the CSMS not answered yet: close() waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Transactions found open in the state file, ended after the first boot. */
  private interrupted: SavedConnector[] = [];

  constructor(options: ChargerOptions) {
    if (!Number.isInteger(options.connectors) || options.connectors < 1)
      throw new Error('connectors must be a positive integer');
    this.options = options;
    this.chargePointId = options.chargePointId;
    this.protocol = options.protocol;
    this.meterIntervalMs = options.meterIntervalMs ?? 1_000;
    this.stepDelayMs = options.stepDelayMs ?? 100;
    this.energyScale = options.energyScale ?? 1;
    const power = (i: number) =>
      typeof options.powerKw === 'number' ? options.powerKw : (options.powerKw[i] ?? options.powerKw.at(-1) ?? 22);
    this.connectors = Array.from({ length: options.connectors }, (_, i) => ({
      id: i + 1,
      powerKw: power(i),
      status: 'Available' as const,
      registerWh: (options.initialRegisterWh ?? 1_000_000) + i * 100_000,
      starting: false,
    }));
    if (options.stateFile) {
      for (const saved of loadChargerState(options.stateFile)?.connectors ?? []) {
        const connector = this.connectors[saved.id - 1];
        if (!connector || !(saved.registerWh >= 0)) continue;
        connector.registerWh = saved.registerWh;
        if (saved.transaction) this.interrupted.push(saved);
      }
    }
    this.rpc = createRpcClient({
      url: options.url,
      identity: options.chargePointId,
      password: options.password,
      protocol: options.protocol,
      callTimeoutMs: options.callTimeoutMs,
    });
    this.rpc.on('open', () => void this.onOpen());
    this.rpc.on('disconnect', ({ code, reason }: { code: number; reason: string }) => {
      clearInterval(this.heartbeatTimer);
      if (this.closed) return;
      this.log(`disconnected (${code}${reason ? ` ${reason}` : ''}); reconnecting`);
      this.emit('disconnected', { code, reason: String(reason ?? '') });
    });
    this.registerHandlers();
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Connects (retrying while the CSMS is not reachable yet) and resolves once the BootNotification is Accepted and
   * every connector's status has been sent. A refused handshake (401: unknown id or wrong password) rejects.
   */
  async start(): Promise<void> {
    const booted = this.waitFor('booted', (b) => b.status === 'Accepted', Infinity);
    for (let attempt = 1; ; attempt++) {
      if (this.closed) throw new Error('charger closed before it connected');
      try {
        await this.rpc.connect();
        break;
      } catch (error) {
        const status = upgradeStatus(error);
        if (status === 401 || status === 403 || status === 404)
          throw new Error(`${this.chargePointId}: the CSMS refused the connection (HTTP ${status})`);
        const message = error instanceof Error ? error.message : String(error);
        if (attempt === 1 || attempt % 10 === 0)
          this.log(`cannot connect to ${this.options.url} (${message}); retrying`);
        await sleep(Math.min(5_000, 250 * attempt));
      }
    }
    await booted;
  }

  /**
   * Disconnects like a charger losing power: open transactions stay open on the CSMS side. Its own calls under way
   * are answered first (bounded), so none is cut off by the close ("Client going away") after its caller moved on.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    for (const connector of this.connectors) clearInterval(connector.transaction?.timer);
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    // A settled call may start the next step (StopTransaction → StatusNotification): its caller gets a turn
    // (setImmediate) before we look again, and we drain until none is left.
    while (this.inFlight.size && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        sleep(deadline - Date.now(), undefined, { ref: false }),
      ]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.rpc.close({ code: 1001, reason: 'charger going away' }).catch(() => undefined);
  }

  get connected(): boolean {
    return this.rpc.state === 1;
  }

  get heartbeatInterval(): number {
    return this.heartbeatIntervalS;
  }

  status(connector: number): ConnectorStatus {
    return this.connector(connector).status;
  }

  transaction(connector: number): ChargerTransaction | undefined {
    const transaction = this.connector(connector).transaction;
    return transaction && publicTransaction(transaction);
  }

  energyRegisterWh(connector: number): number {
    return Math.floor(this.connector(connector).registerWh);
  }

  // ---------------------------------------------------------------- events

  on<K extends EventName>(event: K, listener: (payload: ChargerEvents[K]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  /** The next `event` matching `predicate`. Subscribe before doing what triggers it. */
  waitFor<K extends EventName>(
    event: K,
    predicate: (payload: ChargerEvents[K]) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<ChargerEvents[K]> {
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === Infinity
          ? undefined
          : setTimeout(() => {
              off();
              reject(new Error(`${this.chargePointId}: no ${event} within ${timeoutMs} ms`));
            }, timeoutMs);
      const off = this.on(event, (payload) => {
        if (!predicate(payload)) return;
        off();
        clearTimeout(timer);
        resolve(payload);
      });
    });
  }

  private emit<K extends EventName>(event: K, payload: ChargerEvents[K]): void {
    this.events.emit(event, payload);
  }

  private log(line: string): void {
    this.options.log?.(`${this.chargePointId} (${this.protocol}) ${line}`);
  }

  // ---------------------------------------------------------------- the driver's side

  /** An RFID start: cable in, tag on the reader → Authorize, then a transaction with that tag if it is accepted. */
  async plugInAndPresentTag(connectorId: number, idTag: string): Promise<TagResult> {
    const connector = this.connector(connectorId);
    if (connector.transaction || connector.starting)
      throw new Error(`${this.chargePointId}: connector ${connectorId} is busy`);
    connector.starting = true;
    try {
      await this.setStatus(connector, 'Preparing');
      const status =
        this.protocol === 'ocpp1.6'
          ? (await this.call<Authorize16Response>('Authorize', { idTag })).idTagInfo.status
          : (await this.call<Authorize201Response>('Authorize', { idToken: { idToken: idTag, type: 'ISO14443' } }))
              .idTokenInfo.status;
      this.log(`tag ${idTag} at connector ${connectorId}: Authorize ${status}`);
      this.emit('authorized', { connector: connectorId, idTag, status });
      if (status !== 'Accepted') {
        connector.starting = false;
        await this.setStatus(connector, 'Available');
        return { accepted: false, status, stage: 'Authorize' };
      }
      return await this.beginTransaction(connector, idTag, undefined);
    } catch (error) {
      connector.starting = false;
      throw error;
    }
  }

  /** The cable is pulled at the charger: a running transaction ends with reason EVDisconnected. */
  async unplug(connectorId: number): Promise<ChargerEvents['transactionStopped'] | undefined> {
    const connector = this.connector(connectorId);
    if (connector.transaction && !connector.transaction.stopping)
      return this.endTransaction(connector, 'EVDisconnected');
    if (connector.status !== 'Available' && !connector.starting) await this.setStatus(connector, 'Available');
    return undefined;
  }

  /** The driver stops at the charger's screen or with the tag (reason Local); the cable stays in until unplugged. */
  async stopLocally(connectorId: number): Promise<ChargerEvents['transactionStopped'] | undefined> {
    const connector = this.connector(connectorId);
    if (!connector.transaction || connector.transaction.stopping) return undefined;
    return this.endTransaction(connector, 'Local');
  }

  // ---------------------------------------------------------------- connection and boot

  private async onOpen(): Promise<void> {
    const connection = ++this.connection;
    this.emit('connected', { reconnect: connection > 1 });
    if (connection > 1) this.log('reconnected');
    let response: BootNotificationResponse;
    for (;;) {
      try {
        response = await this.call<BootNotificationResponse>('BootNotification', this.bootPayload());
      } catch {
        return; // the connection went away; the next one boots again
      }
      if (response.status === 'Accepted') break;
      this.emit('booted', { status: response.status, heartbeatIntervalS: response.interval });
      this.log(`BootNotification ${response.status}; trying again in ${Math.max(1, response.interval)} s`);
      await sleep(Math.max(1, response.interval) * 1000);
      if (this.closed || connection !== this.connection) return;
    }
    this.bootedOnce = true;
    this.heartbeatIntervalS = response.interval;
    this.log(`BootNotification Accepted (heartbeat every ${response.interval} s)`);
    this.startHeartbeat();
    for (const connector of this.connectors) await this.sendStatus(connector).catch(() => undefined);
    await this.endInterrupted();
    // Only now: whoever awaits the boot may act on connectors the CSMS already knows.
    this.emit('booted', { status: response.status, heartbeatIntervalS: response.interval });
  }

  private bootPayload(): Record<string, unknown> {
    const vendor = this.options.vendor ?? 'ChargeGraph';
    const model = this.options.model ?? 'Simulator';
    const firmwareVersion = this.options.firmwareVersion ?? '1.0.0';
    if (this.protocol === 'ocpp1.6')
      return {
        chargePointVendor: vendor,
        chargePointModel: model,
        firmwareVersion,
        chargePointSerialNumber: this.chargePointId.slice(0, 25),
      };
    return {
      reason: this.bootedOnce ? 'Unknown' : 'PowerUp',
      chargingStation: { vendorName: vendor, model, firmwareVersion, serialNumber: this.chargePointId.slice(0, 25) },
    };
  }

  private startHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    if (this.heartbeatIntervalS <= 0) return;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatIntervalS * 1000);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    if (!this.connected) return;
    const response = await this.call<{ currentTime: string }>('Heartbeat', {}).catch(() => undefined);
    if (response) this.emit('heartbeat', response);
  }

  /** Transactions a crash left open: ended now with the register they had, as a real charger does after a reboot. */
  private async endInterrupted(): Promise<void> {
    for (const saved of this.interrupted.splice(0)) {
      const connector = this.connectors[saved.id - 1];
      const t = saved.transaction!;
      if (connector.transaction) continue;
      connector.transaction = {
        connector: connector.id,
        transactionId: t.transactionId,
        ocppId: t.ocppId,
        idTag: t.idTag,
        remoteStartId: t.remoteStartId,
        meterStartWh: t.meterStartWh,
        lastSampleAt: Date.now(),
        seqNo: t.seqNo,
        stopping: false,
      };
      this.log(`transaction ${t.transactionId} on connector ${connector.id} was open at power loss; ending it`);
      await this.endTransaction(connector, 'PowerLoss').catch(() => undefined);
    }
  }

  /** Registers and open transactions to the state file (when there is one). */
  private persist(): void {
    if (!this.options.stateFile) return;
    try {
      saveChargerState(this.options.stateFile, {
        version: 1,
        connectors: this.connectors.map((c) => ({
          id: c.id,
          registerWh: c.registerWh,
          ...(c.transaction && !c.transaction.stopping
            ? {
                transaction: {
                  ocppId: c.transaction.ocppId,
                  transactionId: c.transaction.transactionId,
                  idTag: c.transaction.idTag,
                  ...(c.transaction.remoteStartId === undefined ? {} : { remoteStartId: c.transaction.remoteStartId }),
                  meterStartWh: c.transaction.meterStartWh,
                  seqNo: c.transaction.seqNo,
                },
              }
            : {}),
        })),
      });
    } catch (error) {
      this.log(`cannot save state to ${this.options.stateFile}: ${describe(error)}`);
    }
  }

  // ---------------------------------------------------------------- commands from the CSMS

  private registerHandlers(): void {
    const handle = (method: string, handler: (params: Record<string, unknown>) => Promise<Record<string, unknown>>) =>
      this.rpc.handle(method, async ({ params, signal }) => {
        if (this.options.ignoreCommands) {
          this.log(`${method} received; not answering (ignoreCommands)`);
          this.emit('commandIgnored', { method });
          // Never answer; settle only when the connection goes, so close() is not held up.
          return new Promise<Record<string, unknown>>((_, reject) =>
            signal?.addEventListener('abort', () => reject(new Error('connection closed')), { once: true }),
          );
        }
        return handler(params ?? {});
      });

    if (this.protocol === 'ocpp1.6') {
      handle('RemoteStartTransaction', async (params) => {
        const { connectorId, idTag } = params as RemoteStartTransaction16Request;
        return { status: this.acceptRemoteStart(connectorId, idTag, undefined) };
      });
      handle('RemoteStopTransaction', async (params) => {
        const { transactionId } = params as RemoteStopTransaction16Request;
        return { status: this.acceptRemoteStop(transactionId) };
      });
      handle('TriggerMessage', async (params) => {
        const { requestedMessage, connectorId } = params as TriggerMessage16Request;
        return { status: this.trigger(requestedMessage, connectorId) };
      });
      handle('ChangeConfiguration', async (params) => {
        const { key, value } = params as ChangeConfiguration16Request;
        return { status: this.changeConfiguration(key, value) };
      });
      handle('GetConfiguration', async (params) => {
        const { key } = params as GetConfiguration16Request;
        const known: Record<string, string> = {
          HeartbeatInterval: String(this.heartbeatIntervalS),
          MeterValueSampleInterval: String(Math.round(this.meterIntervalMs / 1000)),
          NumberOfConnectors: String(this.connectors.length),
          AuthorizeRemoteTxRequests: 'false',
          StopTransactionOnInvalidId: 'true',
        };
        const wanted = key?.length ? key : Object.keys(known);
        return {
          configurationKey: wanted
            .filter((k) => k in known)
            .map((k) => ({ key: k, readonly: k === 'NumberOfConnectors', value: known[k] })),
          unknownKey: wanted.filter((k) => !(k in known)),
        };
      });
    } else {
      handle('RequestStartTransaction', async (params) => {
        const { evseId, idToken, remoteStartId } = params as RequestStartTransaction201Request;
        return { status: this.acceptRemoteStart(evseId, idToken.idToken, remoteStartId) };
      });
      handle('RequestStopTransaction', async (params) => {
        const { transactionId } = params as RequestStopTransaction201Request;
        return { status: this.acceptRemoteStop(transactionId) };
      });
      handle('TriggerMessage', async (params) => {
        const { requestedMessage, evse } = params as TriggerMessage201Request;
        return { status: this.trigger(requestedMessage, evse?.id) };
      });
    }
    // Anything else is an action this simulator does not implement; say so the way OCPP-J prescribes.
    this.rpc.handle(async ({ method }) => {
      throw createRPCError('NotImplemented', `${method} is not implemented by the simulator`);
    });
  }

  /** Answers a remote start at once and runs the start after the answer has gone out. */
  private acceptRemoteStart(
    connectorId: number | undefined,
    idTag: string,
    remoteStartId: number | undefined,
  ): 'Accepted' | 'Rejected' {
    const refuse = (reason: string, connector?: number) => {
      this.log(`remote start for ${idTag} refused: ${reason}`);
      this.emit('remoteStartRefused', { connector, idTag, reason });
      return 'Rejected' as const;
    };
    if (this.options.refuseRemoteStart) return refuse('refuseRemoteStart is set', connectorId);
    const connector =
      connectorId === undefined
        ? this.connectors.find((c) => isFree(c))
        : this.connectors.find((c) => c.id === connectorId);
    if (!connector) return refuse(connectorId === undefined ? 'no free connector' : `no connector ${connectorId}`);
    if (!isFree(connector)) return refuse(`connector ${connector.id} is ${connector.status}`, connector.id);
    connector.starting = true;
    this.log(
      `remote start on connector ${connector.id} for ${idTag}${remoteStartId === undefined ? '' : ` (remoteStartId ${remoteStartId})`}: Accepted`,
    );
    this.emit('remoteStartAccepted', { connector: connector.id, idTag, remoteStartId });
    setTimeout(() => {
      void (async () => {
        try {
          await this.setStatus(connector, 'Preparing');
          await sleep(this.stepDelayMs);
          await this.beginTransaction(connector, idTag, remoteStartId);
        } catch (error) {
          connector.starting = false;
          this.log(`remote start on connector ${connector.id} failed: ${describe(error)}`);
          await this.setStatus(connector, 'Available').catch(() => undefined);
        }
      })();
    }, 1);
    return 'Accepted';
  }

  private acceptRemoteStop(transactionId: number | string): 'Accepted' | 'Rejected' {
    const connector = this.connectors.find((c) => c.transaction?.ocppId === transactionId);
    if (!connector?.transaction || connector.transaction.stopping) {
      this.log(`remote stop of transaction ${transactionId}: Rejected (no such running transaction)`);
      this.emit('remoteStopRefused', { transactionId: String(transactionId) });
      return 'Rejected';
    }
    this.log(`remote stop of transaction ${transactionId} on connector ${connector.id}: Accepted`);
    this.emit('remoteStopAccepted', { connector: connector.id, transactionId: String(transactionId) });
    setTimeout(() => void this.endTransaction(connector, 'Remote').catch(() => undefined), 1);
    return 'Accepted';
  }

  private trigger(
    requestedMessage: string,
    connectorId: number | undefined,
  ): 'Accepted' | 'Rejected' | 'NotImplemented' {
    const targets =
      connectorId === undefined || connectorId === 0
        ? this.connectors
        : this.connectors.filter((c) => c.id === connectorId);
    if (connectorId && targets.length === 0) return 'Rejected';
    const later = (work: () => Promise<unknown>) => setTimeout(() => void work().catch(() => undefined), 1);
    switch (requestedMessage) {
      case 'BootNotification':
        later(() => this.call('BootNotification', this.bootPayload()));
        return 'Accepted';
      case 'Heartbeat':
        later(() => this.heartbeat());
        return 'Accepted';
      case 'StatusNotification':
        later(async () => {
          for (const connector of targets) await this.sendStatus(connector);
        });
        return 'Accepted';
      case 'MeterValues':
        if (this.protocol !== 'ocpp1.6') return 'NotImplemented';
        later(async () => {
          for (const connector of targets) if (connector.transaction) await this.sendMeterValue(connector);
        });
        return 'Accepted';
      default:
        return 'NotImplemented';
    }
  }

  private changeConfiguration(key: string, value: string): 'Accepted' | 'Rejected' | 'NotSupported' {
    const seconds = Number(value);
    if (key === 'HeartbeatInterval' || key === 'MeterValueSampleInterval') {
      if (!Number.isInteger(seconds) || seconds < 0) return 'Rejected';
      if (key === 'HeartbeatInterval') {
        this.heartbeatIntervalS = seconds;
        this.startHeartbeat();
      } else if (seconds > 0) this.meterIntervalMs = seconds * 1000;
      return 'Accepted';
    }
    return 'NotSupported';
  }

  // ---------------------------------------------------------------- transactions

  private async beginTransaction(
    connector: Connector,
    idTag: string,
    remoteStartId: number | undefined,
  ): Promise<TagResult> {
    const meterStartWh = Math.floor(connector.registerWh);
    const timestamp = new Date().toISOString();
    let ocppId: number | string;
    let status: string;
    if (this.protocol === 'ocpp1.6') {
      const response = await this.callReliably<StartTransaction16Response>('StartTransaction', {
        connectorId: connector.id,
        idTag,
        meterStart: meterStartWh,
        timestamp,
      });
      ocppId = response.transactionId;
      status = response.idTagInfo.status;
    } else {
      ocppId = randomUUID();
      const response = await this.callReliably<TransactionEvent201Response>('TransactionEvent', {
        eventType: 'Started',
        timestamp,
        triggerReason: remoteStartId === undefined ? 'Authorized' : 'RemoteStart',
        seqNo: 0,
        transactionInfo: {
          transactionId: ocppId,
          chargingState: 'Charging',
          ...(remoteStartId === undefined ? {} : { remoteStartId }),
        },
        evse: { id: connector.id, connectorId: 1 },
        idToken: { idToken: idTag, type: remoteStartId === undefined ? 'ISO14443' : 'Central' },
        meterValue: [this.meterValue(meterStartWh, timestamp, 'Transaction.Begin', connector.powerKw)],
      });
      // 2.0.1: no idTokenInfo in the answer means the CSMS did not object.
      status = response.idTokenInfo?.status ?? 'Accepted';
    }
    const transaction: Transaction = {
      connector: connector.id,
      transactionId: String(ocppId),
      ocppId,
      idTag,
      remoteStartId,
      meterStartWh,
      lastSampleAt: Date.now(),
      seqNo: 1,
      stopping: false,
    };
    connector.starting = false;
    if (status !== 'Accepted') {
      this.log(`transaction ${transaction.transactionId} on connector ${connector.id}: the CSMS answered ${status}`);
      connector.transaction = transaction;
      await this.endTransaction(connector, 'DeAuthorized', true);
      this.emit('transactionRejected', {
        connector: connector.id,
        idTag,
        status,
        transactionId: transaction.transactionId,
      });
      return { accepted: false, status, stage: 'StartTransaction' };
    }
    connector.transaction = transaction;
    this.persist();
    this.log(
      `transaction ${transaction.transactionId} started on connector ${connector.id} for ${idTag} at ${connector.powerKw} kW (meter ${meterStartWh} Wh)`,
    );
    this.emit('transactionStarted', publicTransaction(transaction));
    await this.setStatus(connector, 'Charging');
    transaction.timer = setInterval(
      () => void this.sendMeterValue(connector).catch(() => undefined),
      this.meterIntervalMs,
    );
    return { accepted: true, transaction: publicTransaction(transaction) };
  }

  private async sendMeterValue(connector: Connector): Promise<void> {
    const transaction = connector.transaction;
    if (!transaction || transaction.stopping) return;
    this.sample(connector);
    const energyRegisterWh = Math.floor(connector.registerWh);
    const timestamp = new Date().toISOString();
    const meterValue = this.meterValue(energyRegisterWh, timestamp, 'Sample.Periodic', connector.powerKw);
    if (this.protocol === 'ocpp1.6')
      await this.call('MeterValues', {
        connectorId: connector.id,
        transactionId: transaction.ocppId,
        meterValue: [meterValue],
      });
    else
      await this.call('TransactionEvent', {
        eventType: 'Updated',
        timestamp,
        triggerReason: 'MeterValuePeriodic',
        seqNo: transaction.seqNo++,
        transactionInfo: { transactionId: transaction.ocppId, chargingState: 'Charging' },
        meterValue: [meterValue],
      });
    this.persist();
    this.emit('meterValues', {
      connector: connector.id,
      transactionId: transaction.transactionId,
      energyRegisterWh,
      energyWh: energyRegisterWh - transaction.meterStartWh,
    });
  }

  private async endTransaction(
    connector: Connector,
    reason: StopReason,
    silent = false,
  ): Promise<ChargerEvents['transactionStopped']> {
    const transaction = connector.transaction!;
    transaction.stopping = true;
    clearInterval(transaction.timer);
    if (!silent) this.sample(connector);
    const meterStopWh = silent ? transaction.meterStartWh : Math.floor(connector.registerWh);
    const timestamp = new Date().toISOString();
    if (this.protocol === 'ocpp1.6') {
      await this.callReliably('StopTransaction', {
        transactionId: transaction.ocppId,
        meterStop: meterStopWh,
        timestamp,
        reason,
        idTag: transaction.idTag,
        transactionData: [this.meterValue(meterStopWh, timestamp, 'Transaction.End', undefined)],
      }).catch((error: unknown) => this.log(`StopTransaction failed: ${describe(error)}`));
    } else {
      await this.callReliably('TransactionEvent', {
        eventType: 'Ended',
        timestamp,
        triggerReason: endTrigger201(reason),
        seqNo: transaction.seqNo++,
        transactionInfo: {
          transactionId: transaction.ocppId,
          stoppedReason: reason,
          chargingState: reason === 'EVDisconnected' ? 'Idle' : 'EVConnected',
        },
        meterValue: [this.meterValue(meterStopWh, timestamp, 'Transaction.End', undefined)],
      }).catch((error: unknown) => this.log(`TransactionEvent Ended failed: ${describe(error)}`));
    }
    connector.transaction = undefined;
    this.persist();
    const stopped = {
      ...publicTransaction(transaction),
      reason,
      meterStopWh,
      energyWh: meterStopWh - transaction.meterStartWh,
    };
    if (!silent) {
      this.log(
        `transaction ${transaction.transactionId} on connector ${connector.id} ended (${reason}): ${stopped.energyWh} Wh`,
      );
      this.emit('transactionStopped', stopped);
    }
    // The cable is already out when the EV was disconnected; otherwise the driver takes it out a moment later.
    if (reason !== 'EVDisconnected' && !silent) {
      await this.setStatus(connector, 'Finishing');
      await sleep(this.stepDelayMs);
    }
    if (!connector.transaction && !connector.starting) await this.setStatus(connector, 'Available');
    return stopped;
  }

  /** Energy flowed since the last sample at the connector's power (times energyScale). */
  private sample(connector: Connector): void {
    const transaction = connector.transaction;
    if (!transaction) return;
    const now = Date.now();
    connector.registerWh +=
      (connector.powerKw * 1000 * (now - transaction.lastSampleAt) * this.energyScale) / 3_600_000;
    transaction.lastSampleAt = now;
  }

  private meterValue(energyWh: number, timestamp: string, context: string, powerKw: number | undefined) {
    const energy =
      this.protocol === 'ocpp1.6'
        ? { value: String(energyWh), context, measurand: ENERGY, location: 'Outlet', unit: 'Wh' }
        : { value: energyWh, context, measurand: ENERGY, location: 'Outlet', unitOfMeasure: { unit: 'Wh' } };
    if (powerKw === undefined) return { timestamp, sampledValue: [energy] };
    const watts = Math.round(powerKw * 1000 * this.energyScale);
    const power =
      this.protocol === 'ocpp1.6'
        ? { value: String(watts), context, measurand: 'Power.Active.Import', location: 'Outlet', unit: 'W' }
        : { value: watts, context, measurand: 'Power.Active.Import', location: 'Outlet', unitOfMeasure: { unit: 'W' } };
    return { timestamp, sampledValue: [energy, power] };
  }

  // ---------------------------------------------------------------- status

  private async setStatus(connector: Connector, status: ConnectorStatus): Promise<void> {
    if (connector.status === status) return;
    const before = connector.status;
    connector.status = status;
    // 2.0.1 knows only Available / Occupied / …: Preparing → Charging is no news there.
    if (this.protocol === 'ocpp1.6' || connectorStatus201(before) !== connectorStatus201(status))
      await this.sendStatus(connector);
    this.emit('status', { connector: connector.id, status });
  }

  private async sendStatus(connector: Connector): Promise<void> {
    const timestamp = new Date().toISOString();
    if (this.protocol === 'ocpp1.6')
      await this.call('StatusNotification', {
        connectorId: connector.id,
        errorCode: 'NoError',
        status: connector.status,
        timestamp,
      });
    else
      await this.call('StatusNotification', {
        timestamp,
        connectorStatus: connectorStatus201(connector.status),
        evseId: connector.id,
        connectorId: 1,
      });
  }

  // ---------------------------------------------------------------- calls

  private async call<T = Record<string, unknown>>(method: string, params: Record<string, unknown>): Promise<T> {
    const call = this.rpc.call(method, params);
    this.inFlight.add(call);
    try {
      return (await call) as T;
    } catch (error) {
      const code = rpcErrorCode(error);
      if (!this.closed) {
        this.log(`${method} failed: ${code ? `${code} ` : ''}${describe(error)}`);
        this.emit('callFailed', { method, message: describe(error), code });
      }
      throw error;
    } finally {
      this.inFlight.delete(call);
    }
  }

  /**
   * Transaction messages must arrive (OCPP queues them across outages): retried after a lost connection or a
   * timeout, not after an answer with an OCPP error (the CSMS has spoken).
   */
  private async callReliably<T = Record<string, unknown>>(method: string, params: Record<string, unknown>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call<T>(method, params);
      } catch (error) {
        if (this.closed || rpcErrorCode(error) || attempt >= 10) throw error;
        await sleep(Math.min(5_000, 500 * attempt));
      }
    }
  }

  private connector(id: number): Connector {
    const connector = this.connectors[id - 1];
    if (!connector) throw new Error(`${this.chargePointId} has no connector ${id}`);
    return connector;
  }
}

function isFree(connector: Connector): boolean {
  return !connector.transaction && !connector.starting && ['Available', 'Preparing'].includes(connector.status);
}

function publicTransaction(transaction: Transaction): ChargerTransaction {
  const { connector, transactionId, idTag, remoteStartId, meterStartWh } = transaction;
  return { connector, transactionId, idTag, ...(remoteStartId === undefined ? {} : { remoteStartId }), meterStartWh };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
