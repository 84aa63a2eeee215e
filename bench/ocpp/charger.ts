/**
 * One simulated charge point's connection, OCPP 1.6-J: either ocpp-rpc's RPCClient, or a thin client on `ws` with
 * the OCPP-J framing ([2, id, action, payload] → [3, id, payload] | [4, id, code, description, details]). The thin
 * one exists because thousands of RPCClients in one load generator cost more CPU than the server under test
 * (measured by `bench/ocpp/self-test.ts`); both speak the same frames to the server, which validates them strictly.
 */
import { RPCClient } from 'ocpp-rpc';
import WebSocket from 'ws';

export type ClientKind = 'ws' | 'rpc';

export interface ChargerConnection {
  readonly open: boolean;
  connect(): Promise<void>;
  /** Resolves with the CALLRESULT payload; rejects with a `CallError` on a CALLERROR or a timeout. */
  call<T>(action: string, payload: object): Promise<T>;
  close(): void;
  /** Called once when the socket closes after it was open (code 1012 on a server restart, …). */
  onClose(listener: (code: number, reason: string) => void): void;
}

export class CallError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ConnectionOptions {
  /** ws://host:port/ocpp (the charge point id is appended). */
  endpoint: string;
  chargePointId: string;
  password: string;
  protocol: 'ocpp1.6' | 'ocpp2.0.1';
  callTimeoutMs: number;
}

export function createConnection(kind: ClientKind, options: ConnectionOptions): ChargerConnection {
  return kind === 'rpc' ? new RpcConnection(options) : new WsConnection(options);
}

const CALL = 2;
const CALLRESULT = 3;
const CALLERROR = 4;

interface Pending {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

class WsConnection implements ChargerConnection {
  private socket: WebSocket | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private closeListener: ((code: number, reason: string) => void) | undefined;

  constructor(private readonly options: ConnectionOptions) {}

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  connect(): Promise<void> {
    const { endpoint, chargePointId, password, protocol } = this.options;
    const socket = new WebSocket(`${endpoint}/${encodeURIComponent(chargePointId)}`, [protocol], {
      headers: { authorization: `Basic ${Buffer.from(`${chargePointId}:${password}`).toString('base64')}` },
      perMessageDeflate: false,
      handshakeTimeout: 30_000,
    });
    this.socket = socket;
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        if (socket.protocol !== protocol) {
          socket.close(1002, 'subprotocol not agreed');
          return reject(new Error(`server chose subprotocol "${socket.protocol}"`));
        }
        socket.on('close', (code, reason) => {
          this.failPending(new CallError('Closed', `socket closed (${code})`));
          this.closeListener?.(code, reason.toString());
        });
        resolve();
      });
      socket.once('unexpected-response', (_request, response) => {
        socket.terminate();
        reject(new Error(`HTTP ${response.statusCode} at the upgrade`));
      });
      socket.once('error', (error) => {
        if (socket.readyState !== WebSocket.OPEN) reject(error);
      });
      socket.on('message', (data) => this.onMessage(data.toString()));
    });
  }

  call<T>(action: string, payload: object): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new CallError('Closed', 'not open'));
    const id = String(this.nextId++);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new CallError('Timeout', `${action} not answered in ${this.options.callTimeoutMs} ms`));
      }, this.options.callTimeoutMs);
      this.pending.set(id, { resolve: resolve as (payload: unknown) => void, reject, timer });
      socket.send(JSON.stringify([CALL, id, action, payload]));
    });
  }

  close(): void {
    this.closeListener = undefined;
    this.socket?.terminate();
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListener = listener;
  }

  private onMessage(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (!Array.isArray(frame)) return;
    const [type, id] = frame as [number, string];
    if (type === CALL) {
      // The benchmark's chargers take no commands.
      this.socket?.send(JSON.stringify([CALLERROR, id, 'NotImplemented', 'simulated charger', {}]));
      return;
    }
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if (type === CALLRESULT) pending.resolve(frame[2]);
    else pending.reject(new CallError(String(frame[2]), String(frame[3])));
  }

  private failPending(error: Error): void {
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(error);
      this.pending.delete(id);
    }
  }
}

class RpcConnection implements ChargerConnection {
  private readonly client: RPCClient;
  private closeListener: ((code: number, reason: string) => void) | undefined;

  constructor(options: ConnectionOptions) {
    this.client = new RPCClient({
      endpoint: options.endpoint,
      identity: options.chargePointId,
      password: options.password,
      protocols: [options.protocol],
      strictMode: false,
      reconnect: false,
      callTimeoutMs: options.callTimeoutMs,
      pingIntervalMs: 30_000,
      deferPingsOnActivity: true,
      respondWithDetailedErrors: false,
      callConcurrency: 1,
      strictModeValidators: [],
      maxBadMessages: Infinity,
      wsOpts: { perMessageDeflate: false },
      headers: {},
      maxReconnects: 0,
      backoff: { initialDelay: 1000, maxDelay: 10_000, factor: 2, randomisationFactor: 0.25 },
    });
    this.client.on('close', ({ code, reason }: { code: number; reason: string }) =>
      this.closeListener?.(code, String(reason)),
    );
  }

  get open(): boolean {
    return this.client.state === RPCClient.OPEN;
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async call<T>(action: string, payload: object): Promise<T> {
    try {
      return (await this.client.call(action, payload)) as T;
    } catch (error) {
      const rpc = error as { rpcErrorCode?: string; name?: string; message?: string };
      throw new CallError(rpc.rpcErrorCode ?? rpc.name ?? 'Error', rpc.message ?? String(error));
    }
  }

  close(): void {
    this.closeListener = undefined;
    void this.client.close({ force: true });
  }

  onClose(listener: (code: number, reason: string) => void): void {
    this.closeListener = listener;
  }
}
