import DataLoader from 'dataloader';
import { requireManageCatalogue } from '../access.js';
import { byId, type LoaderFactory, type RequestContext } from '../../../platform/subgraph/context.js';
import { notFound } from '../../../platform/errors.js';
import { decodeCursor, toConnection, type Connection, type PageArgs } from '../../../platform/subgraph/pagination.js';
import { Connector, ConnectorStatus } from '../connector/connector.entity.js';
import { effectiveStatusSql } from '../connector/connector.status.js';
import { EARTH_RADIUS_KM, boundingBox } from '../geo.js';
import { uuidsOnly } from '../../../platform/ids.js';
import { requireOperator } from '../operator-stations/operator-stations.service.js';
import { TariffService } from '../tariff/tariff.service.js';
import { Address, GeoPoint, Station } from './station.entity.js';
import { STATION_COLUMNS, selectStations, stationRecordById, type StationRecord } from './station.rows.js';
import type {
  AddressInput,
  CreateStationInput,
  GeoPointInput,
  NearInput,
  StationFilter,
  UpdateStationInput,
} from './station.inputs.js';

/** Domain operations on stations; resolvers stay thin. */
export class StationService {
  constructor(private readonly ctx: RequestContext) {}

  async get(id: string): Promise<Station> {
    const station = await this.ctx.loader(stationById).load(id);
    if (!station) throw notFound('Station', id);
    return station;
  }

  /** One station for reads (a plain row, no entity); `get` is for the writes that change it. */
  async find(id: string): Promise<StationRecord> {
    const station = await this.ctx.loader(stationRecordById).load(id);
    if (!station) throw notFound('Station', id);
    return station;
  }

  /** Public catalogue search, in id (= creation) order so keyset pages stay stable. */
  async list(filter: StationFilter | undefined, { first, after }: PageArgs): Promise<Connection<StationRecord>> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const where = (sql: string, ...values: unknown[]) => {
      conditions.push(sql);
      params.push(...values);
    };
    if (after) where('s.id > ?', decodeCursor(after));
    if (filter?.operatorId) where('s.operator_id = ?', filter.operatorId);
    if (filter?.near) withinCircle(where, filter.near);
    if (filter?.connectorStandard || filter?.availableOnly) {
      const connector = ['c.station_id = s.id'];
      const values: string[] = [];
      if (filter.connectorStandard) {
        connector.push('c.standard = ?');
        values.push(filter.connectorStandard);
      }
      if (filter.availableOnly) {
        // The effective status (charger online, not held by a platform session), as `Connector.status` shows it.
        connector.push(`${effectiveStatusSql('c')} = ?`);
        values.push(ConnectorStatus.AVAILABLE);
      }
      // One connector must satisfy both conditions: "an AVAILABLE CCS2", not "a CCS2 and something AVAILABLE".
      where(`exists (select 1 from connector c where ${connector.join(' and ')})`, ...values);
    }
    const rows = await selectStations(
      this.ctx,
      `select ${STATION_COLUMNS} from station s ${conditions.length ? `where ${conditions.join(' and ')}` : ''}
       order by s.id asc limit ?`,
      [...params, first + 1],
    );
    return toConnection(rows, first);
  }

  /** An operator's stations, one page; batched across operators (see `stationPagesByOperator`). */
  stationsOf(operatorId: string, { first, after }: PageArgs): Promise<Connection<StationRecord>> {
    const afterId = after ? decodeCursor(after) : undefined;
    return this.ctx.loader(stationPagesByOperator).load({ operatorId, first, afterId });
  }

  async create(input: CreateStationInput): Promise<Station> {
    const { operatorId, tariffId, connectors, address, location, ...fields } = input;
    requireManageCatalogue(this.ctx.identity, operatorId);
    await requireOperator(this.ctx, operatorId);
    const tariff = await new TariffService(this.ctx).requireUsableBy(tariffId, operatorId);
    const station = this.ctx.em.create(Station, {
      ...fields,
      operatorId,
      tariff,
      address: toAddress(address),
      location: toGeoPoint(location),
    });
    // Numbered for OCPP in the order given (= the order `Station.connectors` lists them): 1, 2, …
    connectors.forEach(({ standard, powerKw }, index) =>
      this.ctx.em.create(Connector, { station, standard, powerKw, ocppConnectorId: index + 1 }),
    );
    await this.ctx.em.flush(); // one transaction: the station with all its connectors, or nothing
    return station;
  }

  async update(id: string, input: UpdateStationInput): Promise<Station> {
    const station = await this.get(id);
    requireManageCatalogue(this.ctx.identity, station.operatorId);
    if (input.tariffId)
      station.tariff = await new TariffService(this.ctx).requireUsableBy(input.tariffId, station.operatorId);
    if (input.name) station.name = input.name;
    if (input.address) station.address = toAddress(input.address);
    if (input.location) station.location = toGeoPoint(input.location);
    if (input.timezone) station.timezone = input.timezone;
    await this.ctx.em.flush();
    return station;
  }
}

const toAddress = ({ street, city, postalCode, country }: AddressInput): Address =>
  Object.assign(new Address(), { street, city, postalCode, country });
const toGeoPoint = ({ latitude, longitude }: GeoPointInput): GeoPoint =>
  Object.assign(new GeoPoint(), { latitude, longitude });

/**
 * Stations within `near.radiusKm` of the centre: a bounding box on the indexed (latitude, longitude) columns
 * narrows the rows, then the haversine distance (same formula and radius as geo.ts) decides exactly.
 */
function withinCircle(where: (sql: string, ...values: unknown[]) => void, near: NearInput): void {
  const box = boundingBox(near, near.radiusKm);
  where('s.latitude between ? and ?', box.minLatitude, box.maxLatitude);
  where(
    `(${box.longitudeRanges.map(() => 's.longitude between ? and ?').join(' or ')})`,
    ...box.longitudeRanges.flat(),
  );
  where(
    `2 * ${EARTH_RADIUS_KM} * asin(least(1, sqrt(
       power(sin(radians(s.latitude - ?) / 2), 2)
       + cos(radians(?)) * cos(radians(s.latitude)) * power(sin(radians(s.longitude - ?) / 2), 2)
     ))) <= ?`,
    near.latitude,
    near.latitude,
    near.longitude,
    near.radiusKm,
  );
}

export const stationById = byId(async (ctx, ids) => {
  const valid = uuidsOnly(ids);
  return valid.length ? ctx.em.find(Station, { id: { $in: valid } }) : [];
});

interface OperatorPageKey {
  operatorId: string;
  first: number;
  afterId?: string;
}

/**
 * First pages of many operators' stations in one statement: a LATERAL subquery runs the keyset page per operator
 * on the (operator_id, id) index. Keys are grouped by page window (first/after), normally one group per request.
 */
export const stationPagesByOperator: LoaderFactory<OperatorPageKey, Connection<StationRecord>> = (ctx) =>
  new DataLoader<OperatorPageKey, Connection<StationRecord>, string>(
    async (keys) => {
      const rowsByKey = new Map<string, StationRecord[]>();
      for (const [windowKey, group] of groupByWindow(keys)) {
        const { first, afterId } = group[0];
        const operatorIds = uuidsOnly([...new Set(group.map((key) => key.operatorId))]);
        const rows = operatorIds.length ? await firstPages(ctx, operatorIds, first, afterId) : [];
        for (const station of rows) {
          const key = `${station.operatorId}|${windowKey}`;
          rowsByKey.set(key, [...(rowsByKey.get(key) ?? []), station]);
        }
      }
      return keys.map((key) => toConnection(rowsByKey.get(pageKey(key)) ?? [], key.first));
    },
    { cacheKeyFn: pageKey },
  );

const windowOf = ({ first, afterId }: OperatorPageKey) => `${first}|${afterId ?? ''}`;
const pageKey = (key: OperatorPageKey) => `${key.operatorId}|${windowOf(key)}`;

function groupByWindow(keys: readonly OperatorPageKey[]): Map<string, OperatorPageKey[]> {
  const groups = new Map<string, OperatorPageKey[]>();
  for (const key of keys) groups.set(windowOf(key), [...(groups.get(windowOf(key)) ?? []), key]);
  return groups;
}

async function firstPages(
  ctx: RequestContext,
  operatorIds: string[],
  first: number,
  afterId: string | undefined,
): Promise<StationRecord[]> {
  const after = afterId ? 'and s.id > ?' : '';
  return selectStations(
    ctx,
    `select page.* from unnest(array[?]::uuid[]) as operator(id)
     cross join lateral (
       select ${STATION_COLUMNS} from station s where s.operator_id = operator.id ${after} order by s.id limit ?
     ) page`,
    [operatorIds, ...(afterId ? [afterId] : []), first + 1],
  );
}
