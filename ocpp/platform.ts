import type { EntityClient } from '../platform/entity-client.js';

/** What a charge point is, learnt at login (station subgraph `chargePointLogin`). */
export interface ChargePointLogin {
  id: string;
  chargePointId: string;
  stationId: string;
  operatorId: string;
  connectors: ChargePointConnector[];
}

export interface ChargePointConnector {
  /** 1, 2, … in station order; in OCPP 2.0.1 the EVSE id (connector 1). */
  ocppConnectorId: number;
  connectorId: string;
  powerKw: number;
}

export type OcppProtocol = 'OCPP16' | 'OCPP201';

export type ConnectorStatus =
  | 'AVAILABLE'
  | 'PREPARING'
  | 'CHARGING'
  | 'SUSPENDED'
  | 'FINISHING'
  | 'FAULTED'
  | 'UNAVAILABLE'
  | 'OFFLINE'
  | 'OUT_OF_ORDER';

export type IdTagStatus = 'ACCEPTED' | 'INVALID' | 'BLOCKED' | 'CONCURRENT_TX';

export interface PresenceReport {
  chargePointId: string;
  connected: boolean;
  protocol?: OcppProtocol;
  lastSeenAt: Date;
  offlineAfter: Date;
  firmwareVersion?: string;
  vendor?: string;
  model?: string;
}

export interface ConnectorStatusReport {
  chargePointId: string;
  ocppConnectorId: number;
  status: ConnectorStatus;
  at: Date;
}

export interface AuthorizeInput {
  chargePointId: string;
  stationId: string;
  idTag: string;
}

export interface StartTransactionInput {
  chargePointId: string;
  stationId: string;
  connectorId: string;
  /** '' in 2.0.1 when the charger reports our remote start (remoteStartId) without a token. */
  idTag: string;
  meterStartWh?: number;
  timestamp: Date;
  remoteStartId?: number;
  /** 2.0.1: the charger's id; 1.6: absent (the session subgraph assigns an integer). */
  transactionId?: string;
}

export interface TransactionStart {
  transactionId: string;
  idTagStatus: IdTagStatus;
  sessionId: string | null;
}

export interface MeterValueInput {
  chargePointId: string;
  stationId: string;
  transactionId: string;
  energyRegisterWh: number;
  measuredAt: Date;
}

export interface MeterValueResult {
  accepted: boolean;
  code: string | null;
  message: string | null;
}

export interface StopTransactionInput {
  chargePointId: string;
  stationId: string;
  transactionId: string;
  meterStopWh?: number;
  timestamp: Date;
  reason?: string;
}

/**
 * The station and session service operations the OCPP process uses (service-only GraphQL of the PLAN contract).
 * Handlers depend on this interface only, so they are tested against a double.
 */
export interface ChargerPlatform {
  /** Null: unknown id or wrong password. */
  chargePointLogin(chargePointId: string, password: string): Promise<ChargePointLogin | null>;
  reportChargePointPresence(reports: PresenceReport[]): Promise<number>;
  reportConnectorStatus(report: ConnectorStatusReport): Promise<boolean>;
  chargerAuthorize(input: AuthorizeInput): Promise<IdTagStatus>;
  chargerStartTransaction(input: StartTransactionInput): Promise<TransactionStart>;
  /** Batched: one result per value, same order. */
  chargerMeterValues(values: MeterValueInput[]): Promise<MeterValueResult[]>;
  chargerStopTransaction(input: StopTransactionInput): Promise<boolean>;
}

/** A typed input field: its GraphQL type (non-null) and value; absent values are left out of the document. */
type Fields = Record<string, [type: string, value: unknown]>;

/**
 * `mutation ($a: T!, …) { field(input: { a: $a, … }) { selection } }` with only the fields that have a value, so
 * optional inputs are omitted rather than sent as null, and no input type name is needed.
 */
function inputDocument(
  field: string,
  fields: Fields,
  selection = '',
): { query: string; variables: Record<string, unknown> } {
  const present = Object.entries(fields).filter(([, [, value]]) => value !== undefined);
  const declarations = present.map(([name, [type]]) => `$${name}: ${type}!`).join(', ');
  const assignments = present.map(([name]) => `${name}: $${name}`).join(', ');
  return {
    query: `mutation (${declarations}) { ${field}(input: { ${assignments} })${selection ? ` { ${selection} }` : ''} }`,
    variables: Object.fromEntries(present.map(([name, [, value]]) => [name, value])),
  };
}

const LOGIN = `query ($chargePointId: String!, $password: String!) {
  chargePointLogin(chargePointId: $chargePointId, password: $password) {
    id chargePointId stationId operatorId connectors { ocppConnectorId connectorId powerKw }
  }
}`;
const PRESENCE = `mutation ($reports: [ChargePointPresenceInput!]!) { reportChargePointPresence(reports: $reports) }`;
const METER_VALUES = `mutation ($values: [ChargerMeterValueInput!]!) {
  chargerMeterValues(values: $values) { accepted code message }
}`;

const iso = (date: Date) => date.toISOString();

/** ChargerPlatform over the station and session subgraphs, each call signed as the service `ocpp`. */
export class EntityPlatform implements ChargerPlatform {
  constructor(private readonly services: EntityClient) {}

  async chargePointLogin(chargePointId: string, password: string): Promise<ChargePointLogin | null> {
    const data = await this.services.query<{ chargePointLogin: ChargePointLogin | null }>('station', LOGIN, {
      chargePointId,
      password,
    });
    return data.chargePointLogin;
  }

  async reportChargePointPresence(reports: PresenceReport[]): Promise<number> {
    const data = await this.services.query<{ reportChargePointPresence: number }>('station', PRESENCE, {
      reports: reports.map((report) => ({
        ...report,
        lastSeenAt: iso(report.lastSeenAt),
        offlineAfter: iso(report.offlineAfter),
      })),
    });
    return data.reportChargePointPresence;
  }

  async reportConnectorStatus(report: ConnectorStatusReport): Promise<boolean> {
    const { query, variables } = inputDocument('reportConnectorStatus', {
      chargePointId: ['String', report.chargePointId],
      ocppConnectorId: ['Int', report.ocppConnectorId],
      status: ['ConnectorStatus', report.status],
      at: ['DateTimeISO', iso(report.at)],
    });
    const data = await this.services.query<{ reportConnectorStatus: boolean }>('station', query, variables);
    return data.reportConnectorStatus;
  }

  async chargerAuthorize(input: AuthorizeInput): Promise<IdTagStatus> {
    const { query, variables } = inputDocument('chargerAuthorize', {
      chargePointId: ['String', input.chargePointId],
      stationId: ['ID', input.stationId],
      idTag: ['String', input.idTag],
    });
    const data = await this.services.query<{ chargerAuthorize: IdTagStatus }>('session', query, variables);
    return data.chargerAuthorize;
  }

  async chargerStartTransaction(input: StartTransactionInput): Promise<TransactionStart> {
    const { query, variables } = inputDocument(
      'chargerStartTransaction',
      {
        chargePointId: ['String', input.chargePointId],
        stationId: ['ID', input.stationId],
        connectorId: ['ID', input.connectorId],
        idTag: ['String', input.idTag],
        meterStartWh: ['Int', input.meterStartWh],
        timestamp: ['DateTimeISO', iso(input.timestamp)],
        remoteStartId: ['Int', input.remoteStartId],
        transactionId: ['String', input.transactionId],
      },
      'transactionId idTagStatus sessionId',
    );
    const data = await this.services.query<{ chargerStartTransaction: TransactionStart }>('session', query, variables);
    return data.chargerStartTransaction;
  }

  async chargerMeterValues(values: MeterValueInput[]): Promise<MeterValueResult[]> {
    const data = await this.services.query<{ chargerMeterValues: MeterValueResult[] }>('session', METER_VALUES, {
      values: values.map((value) => ({ ...value, measuredAt: iso(value.measuredAt) })),
    });
    return data.chargerMeterValues;
  }

  async chargerStopTransaction(input: StopTransactionInput): Promise<boolean> {
    const { query, variables } = inputDocument('chargerStopTransaction', {
      chargePointId: ['String', input.chargePointId],
      stationId: ['ID', input.stationId],
      transactionId: ['String', input.transactionId],
      meterStopWh: ['Int', input.meterStopWh],
      timestamp: ['DateTimeISO', iso(input.timestamp)],
      reason: ['String', input.reason],
    });
    const data = await this.services.query<{ chargerStopTransaction: boolean }>('session', query, variables);
    return data.chargerStopTransaction;
  }
}
