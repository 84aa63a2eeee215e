import { requireManageCatalogue, requireService } from '../access.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { DomainError, ErrorCode, badInput, conflict } from '../../../platform/errors.js';
import { uuidsOnly } from '../../../platform/ids.js';
import { ChargePoint } from '../charge-point/charge-point.entity.js';
import { StationService } from '../station/station.service.js';
import { Connector, ConnectorSessionState, ConnectorStatus } from './connector.entity.js';
import type {
  MarkConnectorSessionInput,
  ReportConnectorStatusInput,
  SetConnectorStatusInput,
} from './connector.inputs.js';

const offlineIsDerived = () =>
  badInput(
    "OFFLINE cannot be set: a connector is OFFLINE while its station's charge point is not connected.",
    'status',
  );

/** Domain operations on connectors; resolvers stay thin. */
export class ConnectorService {
  constructor(private readonly ctx: RequestContext) {}

  /** The manual path: the operator's admins set the status of a station without a charge point. */
  async setStatus({ stationId, connectorId, status }: SetConnectorStatusInput): Promise<Connector> {
    const station = await new StationService(this.ctx).get(stationId);
    requireManageCatalogue(this.ctx.identity, station.operatorId);
    const connector = await this.getOfStation(stationId, connectorId);
    if (status === ConnectorStatus.OFFLINE) throw offlineIsDerived();
    const chargePoint = await this.ctx.em.findOne(ChargePoint, { station: station.id });
    if (chargePoint)
      throw conflict(
        `Station ${station.id} has charge point ${chargePoint.chargePointId}: its connector statuses come from the ` +
          'charger and cannot be set by hand (remove the charge point to set them manually).',
      );
    connector.reportedStatus = status;
    await this.ctx.em.flush();
    return this.reread(connector);
  }

  /**
   * A charger's StatusNotification, relayed by the OCPP process: only a connector of that charge point's own station
   * (looked up by the charge point id), and only if no newer report was applied. True when it applied.
   */
  async reportStatus({ chargePointId, ocppConnectorId, status, at }: ReportConnectorStatusInput): Promise<boolean> {
    requireService(this.ctx.identity);
    if (status === ConnectorStatus.OFFLINE) throw offlineIsDerived();
    const rows = await this.ctx.em.execute<Array<{ id: string }>>(
      `update connector c set reported_status = ?, status_reported_at = ?, updated_at = now()
       from charge_point cp
       where cp.charge_point_id = ? and c.station_id = cp.station_id and c.ocpp_connector_id = ?
         and (c.status_reported_at is null or c.status_reported_at <= ?)
       returning c.id`,
      [status, at, chargePointId, ocppConnectorId, at],
    );
    return rows.length > 0;
  }

  /**
   * The session subgraph says which of its sessions holds a connector. STARTING takes the connector (the session
   * subgraph's one-session-per-connector rule decides who may start; a hold whose ENDED was lost is replaced), except
   * that it does not move the same session back from CHARGING. CHARGING takes it when free or held by that session.
   * ENDED frees it only if that session holds it (a late ENDED never frees the next session's hold).
   * True when the connector is now as asked for that session; false when it was left as it was.
   */
  async markSession({ stationId, connectorId, sessionId, state }: MarkConnectorSessionInput): Promise<boolean> {
    requireService(this.ctx.identity);
    await this.getOfStation(stationId, connectorId);
    const where = 'where id = ? and station_id = ?';
    const [sql, params] =
      state === ConnectorSessionState.STARTING
        ? [
            `update connector set session_id = ?, session_state = 'STARTING', updated_at = now() ${where}
               and not (session_id is not distinct from ? and session_state = 'CHARGING') returning id`,
            [sessionId, connectorId, stationId, sessionId],
          ]
        : state === ConnectorSessionState.CHARGING
          ? [
              `update connector set session_id = ?, session_state = 'CHARGING', updated_at = now() ${where}
                 and (session_id is null or session_id = ?) returning id`,
              [sessionId, connectorId, stationId, sessionId],
            ]
          : [
              `update connector set session_id = null, session_state = null, updated_at = now() ${where}
                 and session_id = ? returning id`,
              [connectorId, stationId, sessionId],
            ];
    const changed = await this.ctx.em.execute<Array<{ id: string }>>(sql, params);
    // STARTING after CHARGING of the same session changes nothing, and the session still holds the connector.
    return changed.length > 0 || state === ConnectorSessionState.STARTING;
  }

  /** Scoped to the station: another station's connector is simply not there. */
  private async getOfStation(stationId: string, connectorId: string): Promise<Connector> {
    const [valid] = uuidsOnly([connectorId]);
    const connector = valid ? await this.ctx.em.findOne(Connector, { id: valid, station: stationId }) : null;
    if (!connector)
      throw new DomainError(ErrorCode.NOT_FOUND, `Station ${stationId} has no connector ${connectorId}.`, {
        field: 'connectorId',
      });
    return connector;
  }

  /** The effective status is computed by PostgreSQL on read (connector.status.ts): read the row again. */
  private async reread(connector: Connector): Promise<Connector> {
    return (await this.ctx.em.refresh(connector)) ?? connector;
  }
}
