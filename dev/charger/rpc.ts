import { RPCClient } from 'ocpp-rpc';

export type OcppProtocol = 'ocpp1.6' | 'ocpp2.0.1';
export const OCPP_PROTOCOLS: readonly OcppProtocol[] = ['ocpp1.6', 'ocpp2.0.1'];

type ClientOptions = ConstructorParameters<typeof RPCClient>[0];

export interface RpcClientOptions {
  /** The CSMS endpoint without the identity, e.g. ws://localhost:4010/ocpp. */
  url: string;
  identity: string;
  password?: string;
  protocol: OcppProtocol;
  callTimeoutMs?: number;
}

/**
 * An ocpp-rpc client in strict mode: everything we send and receive is validated against the official schemas, so a
 * simulator bug shows up here rather than as a confusing refusal in the CSMS. The library's typings want every
 * option, so the defaults it documents are spelled out.
 */
export function createRpcClient(options: RpcClientOptions): RPCClient {
  const clientOptions: ClientOptions = {
    endpoint: options.url.replace(/\/+$/, ''),
    identity: options.identity,
    password: options.password ?? null,
    protocols: [options.protocol],
    strictMode: true,
    strictModeValidators: [],
    reconnect: true,
    maxReconnects: Infinity,
    callTimeoutMs: options.callTimeoutMs ?? 30_000,
    pingIntervalMs: 30_000,
    deferPingsOnActivity: false,
    respondWithDetailedErrors: false,
    callConcurrency: 1,
    maxBadMessages: Infinity,
    wsOpts: {},
    headers: {},
    // Reconnect quickly and keep trying: a charger never gives up on its CSMS.
    backoff: { initialDelay: 500, maxDelay: 5_000, factor: 2, randomisationFactor: 0.25 },
  };
  return new RPCClient(clientOptions);
}

/** An OCPP CALLERROR from the other side carries its code; anything else (timeout, disconnect) does not. */
export function rpcErrorCode(error: unknown): string | undefined {
  if (error instanceof Error && 'rpcErrorCode' in error && typeof error.rpcErrorCode === 'string')
    return error.rpcErrorCode;
  return undefined;
}

/** The HTTP status of a refused WebSocket upgrade (401 for bad credentials), if that is what failed. */
export function upgradeStatus(error: unknown): number | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'number') return error.code;
  return undefined;
}
