/**
 * OCPP 1.6-J: what a charge point sends us (Core profile) and the remote start/stop we send it. Strict mode has
 * validated every payload against the official schema before these handlers run.
 */
import type { ChargerCommand, ChargerCommandResult } from '../platform/charger-commands.js';
import type { Connection } from './connections.js';
import { propertyViolation } from './errors.js';
import { energyReadings16, submitReadings } from './meter-values.js';
import type { ConnectorStatus, IdTagStatus } from './platform.js';

type Status16 =
  | 'Available'
  | 'Preparing'
  | 'Charging'
  | 'SuspendedEVSE'
  | 'SuspendedEV'
  | 'Finishing'
  | 'Reserved'
  | 'Unavailable'
  | 'Faulted';

/** Reserved is not startable by others: unavailable to the platform. */
const STATUS: Record<Status16, ConnectorStatus> = {
  Available: 'AVAILABLE',
  Preparing: 'PREPARING',
  Charging: 'CHARGING',
  SuspendedEVSE: 'SUSPENDED',
  SuspendedEV: 'SUSPENDED',
  Finishing: 'FINISHING',
  Reserved: 'UNAVAILABLE',
  Unavailable: 'UNAVAILABLE',
  Faulted: 'FAULTED',
};

const ID_TAG_STATUS: Record<IdTagStatus, 'Accepted' | 'Invalid' | 'Blocked' | 'ConcurrentTx'> = {
  ACCEPTED: 'Accepted',
  INVALID: 'Invalid',
  BLOCKED: 'Blocked',
  CONCURRENT_TX: 'ConcurrentTx',
};

interface SampledValue {
  value: string;
  measurand?: string;
  unit?: string;
  phase?: string;
  format?: string;
}
interface MeterValue {
  timestamp: string;
  sampledValue: SampledValue[];
}

interface BootNotificationReq {
  chargePointVendor: string;
  chargePointModel: string;
  firmwareVersion?: string;
}
interface StatusNotificationReq {
  connectorId: number;
  status: Status16;
  errorCode: string;
  timestamp?: string;
}
interface StartTransactionReq {
  connectorId: number;
  idTag: string;
  meterStart: number;
  timestamp: string;
}
interface MeterValuesReq {
  connectorId: number;
  transactionId?: number;
  meterValue: MeterValue[];
}
interface StopTransactionReq {
  transactionId: number;
  meterStop: number;
  timestamp: string;
  idTag?: string;
  reason?: string;
}

const now = () => new Date().toISOString();

export function attachOcpp16(connection: Connection): void {
  const { platform } = connection.deps;
  const { chargePointId } = connection;
  const { stationId } = connection.login;

  /** Connector numbers the station does not have are a value the charger may not send. */
  const connectorOf = (connectorId: number) => {
    const connector = connection.connector(connectorId);
    if (!connector) throw propertyViolation(`Connector ${connectorId} does not exist at this charge point.`);
    return connector;
  };

  connection.handle<BootNotificationReq>('BootNotification', (params) =>
    connection.booted({
      vendor: params.chargePointVendor,
      model: params.chargePointModel,
      firmwareVersion: params.firmwareVersion,
    }),
  );

  connection.handle('Heartbeat', () => ({ currentTime: now() }));

  connection.handle<StatusNotificationReq>('StatusNotification', async (params) => {
    const at = params.timestamp ? new Date(params.timestamp) : new Date();
    const status = STATUS[params.status];
    if (params.connectorId === 0) {
      // Connector 0 is the whole charge point: only its Unavailable/Faulted say something about every connector.
      await connection.reportWholeStatus(status === 'UNAVAILABLE' || status === 'FAULTED' ? status : undefined, at);
    } else {
      connectorOf(params.connectorId);
      await connection.reportConnectorStatus(params.connectorId, status, at);
    }
    if (params.errorCode !== 'NoError')
      connection.logger.info(
        { connectorId: params.connectorId, errorCode: params.errorCode },
        'charger reports an error',
      );
    return {};
  });

  connection.handle<{ idTag: string }>('Authorize', async ({ idTag }) => {
    const status = await platform.chargerAuthorize({ chargePointId, stationId, idTag });
    return { idTagInfo: { status: ID_TAG_STATUS[status] } };
  });

  connection.handle<StartTransactionReq>('StartTransaction', async (params) => {
    const connector = connectorOf(params.connectorId);
    const start = await platform.chargerStartTransaction({
      chargePointId,
      stationId,
      connectorId: connector.connectorId,
      idTag: params.idTag,
      meterStartWh: params.meterStart,
      timestamp: new Date(params.timestamp),
    });
    const transactionId = Number(start.transactionId);
    if (!Number.isSafeInteger(transactionId))
      throw new Error(`The session service gave a non-integer 1.6 transaction id: ${start.transactionId}`);
    connection.logger.info(
      { transactionId, idTagStatus: start.idTagStatus, sessionId: start.sessionId },
      'transaction started',
    );
    return { transactionId, idTagInfo: { status: ID_TAG_STATUS[start.idTagStatus] } };
  });

  connection.handle<MeterValuesReq>('MeterValues', async (params) => {
    if (params.connectorId !== 0) connectorOf(params.connectorId);
    const readings = energyReadings16(params.meterValue);
    // Values outside a transaction (or of the main meter, connector 0) belong to no session.
    if (params.transactionId === undefined || readings.length === 0) return {};
    await submitReadings(connection, String(params.transactionId), readings);
    return {};
  });

  connection.handle<StopTransactionReq>('StopTransaction', async (params) => {
    await platform.chargerStopTransaction({
      chargePointId,
      stationId,
      transactionId: String(params.transactionId),
      meterStopWh: params.meterStop,
      timestamp: new Date(params.timestamp),
      reason: params.reason,
    });
    connection.logger.info({ transactionId: params.transactionId, reason: params.reason }, 'transaction stopped');
    return params.idTag ? { idTagInfo: { status: 'Accepted' } } : {};
  });

  // Acknowledged and logged: nothing in the platform depends on them.
  connection.handle<{ vendorId: string; messageId?: string }>('DataTransfer', ({ vendorId, messageId }) => {
    connection.logger.info({ vendorId, messageId }, 'DataTransfer from charger (unknown vendor)');
    return { status: 'UnknownVendorId' };
  });
  for (const action of ['FirmwareStatusNotification', 'DiagnosticsStatusNotification']) {
    connection.handle<{ status: string }>(action, ({ status }) => {
      connection.logger.info({ action, status }, 'charger notification');
      return {};
    });
  }
}

/** A platform command in 1.6 terms; the charger's Accepted/Rejected is the result. */
export async function send16(
  connection: Connection,
  command: Exclude<ChargerCommand, { action: 'Disconnect' }>,
  timeoutMs: number,
): Promise<ChargerCommandResult> {
  const options = { callTimeoutMs: timeoutMs };
  if (command.action === 'StartCharging') {
    if (!connection.connector(command.ocppConnectorId))
      return { accepted: false, detail: `connector ${command.ocppConnectorId} does not exist` };
    const answer = (await connection.client.call(
      'RemoteStartTransaction',
      { connectorId: command.ocppConnectorId, idTag: command.idTag },
      options,
    )) as { status: string };
    return { accepted: answer.status === 'Accepted', detail: answer.status };
  }
  const transactionId = Number(command.transactionId);
  if (!Number.isSafeInteger(transactionId))
    return { accepted: false, detail: `transaction id ${command.transactionId} is not an OCPP 1.6 integer` };
  const answer = (await connection.client.call('RemoteStopTransaction', { transactionId }, options)) as {
    status: string;
  };
  return { accepted: answer.status === 'Accepted', detail: answer.status };
}
