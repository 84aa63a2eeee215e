import { groupedBy } from '../../../platform/subgraph/context.js';
import { uuidsOnly } from '../../../platform/ids.js';
import type { ConnectorStandard, ConnectorStatus, ConnectorStatusSource } from './connector.entity.js';
import { effectiveStatusSql, statusSourceSql } from './connector.status.js';

/** What the GraphQL type `Connector` reads; the entity has this shape too (writes return it). */
export interface ConnectorRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  station: { id: string };
  ocppConnectorId: number;
  standard: ConnectorStandard;
  powerKw: number;
  status: ConnectorStatus;
  statusSource: ConnectorStatusSource;
}

interface ConnectorColumns {
  id: string;
  created_at: string;
  updated_at: string;
  station_id: string;
  ocpp_connector_id: number;
  standard: ConnectorStandard;
  power_kw: number;
  status: ConnectorStatus;
  status_source: ConnectorStatusSource;
}

/**
 * A station's connectors in OCPP order (= creation order), batched across stations, as plain rows. Always read from
 * the database, so the effective status (computed by PostgreSQL, connector.status.ts) reflects writes made earlier
 * in the same request.
 */
export const connectorsByStation = groupedBy(
  async (ctx, stationIds): Promise<ConnectorRecord[]> => {
    const valid = uuidsOnly(stationIds);
    if (!valid.length) return [];
    const platform = ctx.em.getPlatform();
    const rows = await ctx.em.execute<ConnectorColumns[]>(
      `select c.id, c.created_at, c.updated_at, c.station_id, c.ocpp_connector_id, c.standard, c.power_kw,
         ${effectiveStatusSql('c')} as status, ${statusSourceSql('c')} as status_source
       from connector c where c.station_id in (?) order by c.station_id asc, c.ocpp_connector_id asc`,
      [valid],
    );
    return rows.map((row) => ({
      id: row.id,
      createdAt: platform.parseDate(row.created_at),
      updatedAt: platform.parseDate(row.updated_at),
      station: { id: row.station_id },
      ocppConnectorId: row.ocpp_connector_id,
      standard: row.standard,
      powerKw: row.power_kw,
      status: row.status,
      statusSource: row.status_source,
    }));
  },
  (connector) => connector.station.id,
);
