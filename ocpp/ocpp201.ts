/**
 * OCPP 2.0.1: what a charging station sends us and the remote start/stop we send it. Our connectors are its EVSEs
 * (`ocppConnectorId` = EVSE id, connector 1). Strict mode has validated every payload before these handlers run.
 */
import type { ChargerCommand, ChargerCommandResult } from '../platform/charger-commands.js';
import type { Connection } from './connections.js';
import { occurrenceViolation, propertyViolation } from './errors.js';
import { energyReadings201, submitReadings, type EnergyReading } from './meter-values.js';
import type { ConnectorStatus, IdTagStatus } from './platform.js';

type ConnectorStatus201 = 'Available' | 'Occupied' | 'Reserved' | 'Unavailable' | 'Faulted';
type ChargingState = 'Charging' | 'EVConnected' | 'SuspendedEV' | 'SuspendedEVSE' | 'Idle';

const STATUS: Record<ConnectorStatus201, ConnectorStatus> = {
  Available: 'AVAILABLE',
  Occupied: 'PREPARING', // refined by the transaction's charging state
  Reserved: 'UNAVAILABLE',
  Unavailable: 'UNAVAILABLE',
  Faulted: 'FAULTED',
};

/** What an occupied EVSE is doing, from the transaction's chargingState (Idle says nothing new). */
const CHARGING_STATE: Partial<Record<ChargingState, ConnectorStatus>> = {
  Charging: 'CHARGING',
  EVConnected: 'PREPARING',
  SuspendedEV: 'SUSPENDED',
  SuspendedEVSE: 'SUSPENDED',
};

const ID_TOKEN_STATUS: Record<IdTagStatus, 'Accepted' | 'Invalid' | 'Blocked' | 'ConcurrentTx'> = {
  ACCEPTED: 'Accepted',
  INVALID: 'Invalid',
  BLOCKED: 'Blocked',
  CONCURRENT_TX: 'ConcurrentTx',
};

interface IdToken {
  idToken: string;
  type: string;
}
interface MeterValue {
  timestamp: string;
  sampledValue: Array<{
    value: number;
    measurand?: string;
    phase?: string;
    context?: string;
    unitOfMeasure?: { unit?: string; multiplier?: number };
  }>;
}
interface BootNotificationReq {
  chargingStation: { model: string; vendorName: string; firmwareVersion?: string };
  reason: string;
}
interface StatusNotificationReq {
  timestamp: string;
  connectorStatus: ConnectorStatus201;
  evseId: number;
  connectorId: number;
}
interface TransactionEventReq {
  eventType: 'Started' | 'Updated' | 'Ended';
  timestamp: string;
  triggerReason: string;
  seqNo: number;
  transactionInfo: {
    transactionId: string;
    chargingState?: ChargingState;
    stoppedReason?: string;
    remoteStartId?: number;
  };
  evse?: { id: number; connectorId?: number };
  idToken?: IdToken;
  meterValue?: MeterValue[];
}

/** What this connection knows of a transaction: its EVSE, and whether the platform has it as a session start. */
interface Transaction {
  evseId: number;
  started: boolean;
  remoteStartId?: number;
}

const now = () => new Date().toISOString();
/** A token the charger presents on its own; NoAuthorization (free vend) is none. */
const tokenOf = (idToken: IdToken | undefined) =>
  idToken && idToken.type !== 'NoAuthorization' && idToken.idToken ? idToken.idToken : undefined;

export function attachOcpp201(connection: Connection): void {
  const { platform } = connection.deps;
  const { chargePointId } = connection;
  const { stationId } = connection.login;
  const transactions = new Map<string, Transaction>();
  /** Per EVSE: the last StatusNotification and the charging state of its transaction. */
  const evseStatus = new Map<number, ConnectorStatus201>();
  const evseCharging = new Map<number, ChargingState | 'Ended'>();

  const evseOf = (evseId: number) => {
    const connector = connection.connector(evseId);
    if (!connector) throw propertyViolation(`EVSE ${evseId} does not exist at this charging station.`);
    return connector;
  };

  /** The EVSE's platform status: an occupied EVSE is refined by what its transaction reports. */
  const effective = (evseId: number): ConnectorStatus | undefined => {
    const reported = evseStatus.get(evseId);
    if (!reported) return undefined;
    if (reported !== 'Occupied') return STATUS[reported];
    const charging = evseCharging.get(evseId);
    if (charging === 'Ended') return 'FINISHING';
    return (charging && CHARGING_STATE[charging]) ?? STATUS.Occupied;
  };

  connection.handle<BootNotificationReq>('BootNotification', ({ chargingStation }) =>
    connection.booted({
      vendor: chargingStation.vendorName,
      model: chargingStation.model,
      firmwareVersion: chargingStation.firmwareVersion,
    }),
  );

  connection.handle('Heartbeat', () => ({ currentTime: now() }));

  connection.handle<StatusNotificationReq>('StatusNotification', async (params) => {
    const at = new Date(params.timestamp);
    if (params.evseId === 0) {
      const status = STATUS[params.connectorStatus];
      await connection.reportWholeStatus(status === 'UNAVAILABLE' || status === 'FAULTED' ? status : undefined, at);
      return {};
    }
    evseOf(params.evseId);
    if (params.connectorId !== 1)
      throw propertyViolation(`EVSE ${params.evseId} has one connector (1), not ${params.connectorId}.`);
    evseStatus.set(params.evseId, params.connectorStatus);
    if (params.connectorStatus === 'Available') evseCharging.delete(params.evseId);
    const status = effective(params.evseId);
    if (status) await connection.reportConnectorStatus(params.evseId, status, at);
    return {};
  });

  connection.handle<{ idToken: IdToken }>('Authorize', async ({ idToken }) => {
    const idTag = tokenOf(idToken);
    if (!idTag) return { idTokenInfo: { status: 'Accepted' } }; // NoAuthorization: nothing to check
    const status = await platform.chargerAuthorize({ chargePointId, stationId, idTag });
    return { idTokenInfo: { status: ID_TOKEN_STATUS[status] } };
  });

  connection.handle<TransactionEventReq>('TransactionEvent', async (params) => {
    const { transactionId, remoteStartId, chargingState, stoppedReason } = params.transactionInfo;
    const readings = energyReadings201(params.meterValue ?? []);
    let transaction = transactions.get(transactionId);
    if (params.evse) evseOf(params.evse.id);
    if (!transaction) {
      // Started, or the first event this replica sees of a transaction (the charger reconnected here).
      if (!params.evse && params.eventType === 'Started')
        throw occurrenceViolation('TransactionEvent Started needs the EVSE the transaction runs on.');
      if (params.evse) {
        // One transaction per EVSE (it has one connector): an older one there is over, so the map stays bounded by
        // the station's EVSEs whatever a charger sends.
        for (const [id, other] of transactions) if (other.evseId === params.evse.id) transactions.delete(id);
        transaction = { evseId: params.evse.id, started: false, remoteStartId };
        transactions.set(transactionId, transaction);
      }
    }
    if (transaction && remoteStartId !== undefined) transaction.remoteStartId = remoteStartId;

    let idTokenInfo: { status: string } | undefined;
    const idTag = tokenOf(params.idToken);
    // The platform learns of the transaction once it is authorised: by a token, or as our remote start.
    if (
      transaction &&
      !transaction.started &&
      params.eventType !== 'Ended' &&
      (idTag || transaction.remoteStartId !== undefined)
    ) {
      const start = await platform.chargerStartTransaction({
        chargePointId,
        stationId,
        connectorId: evseOf(transaction.evseId).connectorId,
        idTag: idTag ?? '',
        meterStartWh: firstReading(readings)?.energyWh,
        timestamp: new Date(params.timestamp),
        remoteStartId: transaction.remoteStartId,
        transactionId,
      });
      transaction.started = true;
      connection.logger.info(
        { transactionId, idTagStatus: start.idTagStatus, sessionId: start.sessionId },
        'transaction started',
      );
      if (idTag) idTokenInfo = { status: ID_TOKEN_STATUS[start.idTagStatus] };
    } else if (idTag) {
      idTokenInfo = { status: ID_TOKEN_STATUS[await platform.chargerAuthorize({ chargePointId, stationId, idTag })] };
    }

    if (params.eventType === 'Ended') {
      await platform.chargerStopTransaction({
        chargePointId,
        stationId,
        transactionId,
        meterStopWh: lastReading(readings)?.energyWh,
        timestamp: new Date(params.timestamp),
        reason: stoppedReason,
      });
      transactions.delete(transactionId);
      connection.logger.info({ transactionId, reason: stoppedReason }, 'transaction ended');
    } else if (params.eventType === 'Updated' && readings.length > 0) {
      await submitReadings(connection, transactionId, readings);
    }

    const evseId = transaction?.evseId ?? params.evse?.id;
    if (evseId !== undefined) {
      const before = effective(evseId);
      if (params.eventType === 'Ended') evseCharging.set(evseId, 'Ended');
      else if (chargingState) evseCharging.set(evseId, chargingState);
      const after = effective(evseId);
      if (after && after !== before) await connection.reportConnectorStatus(evseId, after, new Date(params.timestamp));
    }
    return idTokenInfo ? { idTokenInfo } : {};
  });

  // Meter values outside a transaction belong to no session; the rest is acknowledged and logged.
  connection.handle('MeterValues', () => ({}));
  connection.handle<{ vendorId: string; messageId?: string }>('DataTransfer', ({ vendorId, messageId }) => {
    connection.logger.info({ vendorId, messageId }, 'DataTransfer from charger (unknown vendor)');
    return { status: 'UnknownVendorId' };
  });
  for (const action of [
    'FirmwareStatusNotification',
    'LogStatusNotification',
    'SecurityEventNotification',
    'NotifyEvent',
    'NotifyReport',
  ]) {
    connection.handle(action, () => {
      connection.logger.debug({ action }, 'charger notification');
      return {};
    });
  }
}

const firstReading = (readings: EnergyReading[]) => readings[0];
const lastReading = (readings: EnergyReading[]) => readings.at(-1);

/** A platform command in 2.0.1 terms; the station's Accepted/Rejected is the result. */
export async function send201(
  connection: Connection,
  command: Exclude<ChargerCommand, { action: 'Disconnect' }>,
  timeoutMs: number,
): Promise<ChargerCommandResult> {
  const options = { callTimeoutMs: timeoutMs };
  if (command.action === 'StartCharging') {
    if (!connection.connector(command.ocppConnectorId))
      return { accepted: false, detail: `EVSE ${command.ocppConnectorId} does not exist` };
    const answer = (await connection.client.call(
      'RequestStartTransaction',
      {
        evseId: command.ocppConnectorId,
        remoteStartId: command.remoteStartId,
        idToken: { idToken: command.idTag, type: 'Central' },
      },
      options,
    )) as { status: string };
    return { accepted: answer.status === 'Accepted', detail: answer.status };
  }
  const answer = (await connection.client.call(
    'RequestStopTransaction',
    { transactionId: command.transactionId },
    options,
  )) as { status: string };
  return { accepted: answer.status === 'Accepted', detail: answer.status };
}
