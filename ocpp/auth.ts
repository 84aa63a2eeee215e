import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { PROTOCOLS, type Protocol } from './connections.js';
import { ocppMetrics } from './metrics.js';
import type { ChargePointLogin, ChargerPlatform } from './platform.js';

/** The path charge points connect to: `/ocpp/<chargePointId>` (the id URL-encoded, nothing after it). */
const OCPP_PATH = /^\/ocpp\/([^/]+)$/;

/** The charge point id of an upgrade request's path, or undefined when the path is not ours. */
export function chargePointIdOf(request: IncomingMessage): string | undefined {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const match = OCPP_PATH.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return undefined;
  }
}

export type HandshakeOutcome =
  { ok: true; login: ChargePointLogin; protocol: Protocol } | { ok: false; status: number; message: string };

export interface HandshakeInput {
  identity: string;
  /** Set by ocpp-rpc only when the Basic user equals the URL's id. */
  password: Buffer | undefined;
  authorization: string | undefined;
  protocols: Set<string>;
  remoteAddress: string | undefined;
}

/**
 * Failed logins per source address: past the limit the handshake is refused (429) before the station subgraph is
 * asked, so guessing passwords cannot load it. Successful logins do not count (many chargers may share a NAT).
 */
export class LoginGuard {
  private readonly failures: RateLimiterMemory;

  constructor(
    private readonly maxFailures = 30,
    windowSeconds = 60,
  ) {
    this.failures = new RateLimiterMemory({ points: maxFailures, duration: windowSeconds });
  }

  async blocked(address: string | undefined): Promise<boolean> {
    const state = await this.failures.get(address ?? 'unknown');
    return (state?.consumedPoints ?? 0) >= this.maxFailures;
  }

  async failed(address: string | undefined): Promise<void> {
    await this.failures.consume(address ?? 'unknown').catch(() => {});
  }
}

/**
 * OCPP security profile 1: HTTP Basic auth whose user is the charge point id of the URL, password checked by the
 * station subgraph (`chargePointLogin`). Every refusal is a 401 at the handshake (no WebSocket), logged.
 */
export async function checkHandshake(
  input: HandshakeInput,
  platform: ChargerPlatform,
  logger: Logger,
  guard: LoginGuard,
): Promise<HandshakeOutcome> {
  const metrics = ocppMetrics();
  const refuse = (status: number, message: string, reason: string): HandshakeOutcome => {
    metrics.handshakes.inc({ outcome: status === 401 ? 'unauthorized' : 'refused' });
    if (status === 401) void guard.failed(input.remoteAddress);
    logger.warn(
      { chargePointId: input.identity, ip: input.remoteAddress, reason },
      'charge point refused at handshake',
    );
    return { ok: false, status, message };
  };
  const protocol = PROTOCOLS.find((candidate) => input.protocols.has(candidate));
  if (!protocol) return refuse(400, 'Unsupported subprotocol: use ocpp1.6 or ocpp2.0.1.', 'no supported subprotocol');
  if (await guard.blocked(input.remoteAddress))
    return refuse(429, 'Too many failed logins; try again later.', 'too many failed logins from this address');
  if (!input.authorization) return refuse(401, 'Unauthorized', 'no credentials');
  if (!input.password) return refuse(401, 'Unauthorized', 'Basic user is not the charge point id of the URL');
  let login: ChargePointLogin | null;
  try {
    login = await platform.chargePointLogin(input.identity, input.password.toString('utf8'));
  } catch (error) {
    logger.warn({ err: error, chargePointId: input.identity }, 'charge point login could not be checked');
    return refuse(503, 'Service unavailable; try again shortly.', 'station service unavailable');
  }
  if (!login) return refuse(401, 'Unauthorized', 'unknown charge point id or wrong password');
  metrics.handshakes.inc({ outcome: 'accepted' });
  return { ok: true, login, protocol };
}
