import { DomainError, ErrorCode } from './errors.js';
import { IdentitySigner, IDENTITY_HEADER, serviceIdentity } from './identity.js';
import type { ServiceName } from './config.js';
import { currentRequestId, forwardedHeaders } from './observability.js';

/**
 * What a subgraph may ask a charge point to do, in protocol-neutral terms; the OCPP process translates it into the
 * charger's protocol (OCPP 1.6-J or 2.0.1) and routes it to the replica holding that charger's connection.
 */
export type ChargerCommand =
  /** 1.6 RemoteStartTransaction {connectorId, idTag}; 2.0.1 RequestStartTransaction {evseId, idToken, remoteStartId}. */
  | { action: 'StartCharging'; ocppConnectorId: number; idTag: string; remoteStartId: number }
  /** 1.6 RemoteStopTransaction {transactionId (integer)}; 2.0.1 RequestStopTransaction {transactionId}. */
  | { action: 'StopCharging'; transactionId: string }
  /** Closes the charger's connection (charge point removed or its password rotated); it must log in again. */
  | { action: 'Disconnect'; reason: string };

/** The charger's answer: `accepted` is its Accepted/Rejected; `detail` is the raw status for logs. */
export interface ChargerCommandResult {
  accepted: boolean;
  detail?: string;
}

/** HTTP endpoint of the OCPP process that takes commands (signed service callers only). */
export const CHARGER_COMMAND_PATH = '/commands';

export interface ChargerCommandRequest {
  chargePointId: string;
  command: ChargerCommand;
}

/**
 * The error body the OCPP process answers with when it cannot deliver a command: HTTP 409 with code
 * CHARGER_UNAVAILABLE (no replica holds a connection to that charger) or 504 with CHARGER_TIMEOUT (it did not answer).
 */
export interface ChargerCommandFailure {
  error: { code: typeof ErrorCode.CHARGER_UNAVAILABLE | typeof ErrorCode.CHARGER_TIMEOUT; message: string };
}

export interface ChargerCommandClientOptions {
  caller: ServiceName;
  /** OCPP_URL: any replica of the OCPP process. */
  baseUrl: string;
  signingSecret: string;
  /** Whole-call deadline; a little above the OCPP process's own wait for the charger. */
  timeoutMs: number;
}

/** Sends commands to charge points through the OCPP process; failures become DomainErrors a client understands. */
export class ChargerCommandClient {
  private readonly signer: IdentitySigner;

  constructor(private readonly options: ChargerCommandClientOptions) {
    this.signer = new IdentitySigner(`service:${options.caller}`, options.signingSecret);
  }

  async send(chargePointId: string, command: ChargerCommand): Promise<ChargerCommandResult> {
    const body = JSON.stringify({ chargePointId, command } satisfies ChargerCommandRequest);
    let response: Response;
    try {
      response = await fetch(new URL(CHARGER_COMMAND_PATH, this.options.baseUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [IDENTITY_HEADER]: this.signer.sign(serviceIdentity(this.options.caller), body),
          ...forwardedHeaders(currentRequestId()),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      throw new DomainError(ErrorCode.CHARGER_TIMEOUT, `Charge point ${chargePointId} did not answer in time.`);
    }
    const answer = (await response.json().catch(() => ({}))) as Partial<ChargerCommandResult & ChargerCommandFailure>;
    if (response.ok && typeof answer.accepted === 'boolean')
      return { accepted: answer.accepted, detail: answer.detail };
    if (answer.error?.code === ErrorCode.CHARGER_UNAVAILABLE)
      throw new DomainError(ErrorCode.CHARGER_UNAVAILABLE, `Charge point ${chargePointId} is not connected.`);
    if (answer.error?.code === ErrorCode.CHARGER_TIMEOUT)
      throw new DomainError(ErrorCode.CHARGER_TIMEOUT, `Charge point ${chargePointId} did not answer in time.`);
    throw new DomainError(ErrorCode.UPSTREAM_UNAVAILABLE, 'The charger service did not answer; try again shortly.');
  }
}
