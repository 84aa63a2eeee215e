import { requireManageCatalogue } from '../access.js';
import { groupedBy, type RequestContext } from '../../common/context.js';
import { DomainError, ErrorCode } from '../../common/errors.js';
import { uuidsOnly } from '../../common/ids.js';
import { StationService } from '../station/station.service.js';
import { Connector } from './connector.entity.js';
import type { SetConnectorStatusInput } from './connector.inputs.js';

/** Domain operations on connectors; resolvers stay thin. */
export class ConnectorService {
  constructor(private readonly ctx: RequestContext) {}

  async setStatus({ stationId, connectorId, status }: SetConnectorStatusInput): Promise<Connector> {
    const station = await new StationService(this.ctx).get(stationId);
    requireManageCatalogue(this.ctx.identity, station.operatorId);
    // Scoped to the station the caller may manage: another station's connector is simply not there.
    const connector = await this.ctx.em.findOne(Connector, { id: connectorId, station: station.id });
    if (!connector)
      throw new DomainError(ErrorCode.NOT_FOUND, `Station ${stationId} has no connector ${connectorId}.`, {
        field: 'connectorId',
      });
    connector.status = status;
    await this.ctx.em.flush();
    return connector;
  }
}

/** A station's connectors in creation order, batched across stations. */
export const connectorsByStation = groupedBy(
  async (ctx, stationIds) => {
    const valid = uuidsOnly(stationIds);
    return valid.length ? ctx.em.find(Connector, { station: { $in: valid } }, { orderBy: { id: 'asc' } }) : [];
  },
  (connector: Connector) => connector.station.id,
);
