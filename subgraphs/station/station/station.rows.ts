import type { RequestContext } from '../../../platform/subgraph/context.js';
import { byId } from '../../../platform/subgraph/context.js';
import { uuidsOnly } from '../../../platform/ids.js';

/**
 * What the GraphQL type `Station` and its field resolvers read. The entity has this shape, and so has a plain row:
 * reads return rows (no entity hydration, no identity map), writes keep the entity.
 */
export interface StationRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  operatorId: string;
  name: string;
  address: { street: string; city: string; postalCode: string; country: string };
  location: { latitude: number; longitude: number };
  timezone: string;
  tariff: { id: string };
}

/** The `station` table's columns as PostgreSQL returns them (timestamps as text: MikroORM's type parsers). */
interface StationColumns {
  id: string;
  created_at: string;
  updated_at: string;
  operator_id: string;
  name: string;
  address_street: string;
  address_city: string;
  address_postal_code: string;
  address_country: string;
  latitude: number;
  longitude: number;
  timezone: string;
  tariff_id: string;
}

/** The select list for a `station` aliased `s`. */
export const STATION_COLUMNS = `s.id, s.created_at, s.updated_at, s.operator_id, s.name, s.address_street, s.address_city,
  s.address_postal_code, s.address_country, s.latitude, s.longitude, s.timezone, s.tariff_id`;

/** Runs a select of STATION_COLUMNS and returns records. */
export async function selectStations(ctx: RequestContext, sql: string, params: unknown[]): Promise<StationRecord[]> {
  const platform = ctx.em.getPlatform();
  const rows = await ctx.em.execute<StationColumns[]>(sql, params);
  return rows.map((row) => ({
    id: row.id,
    createdAt: platform.parseDate(row.created_at),
    updatedAt: platform.parseDate(row.updated_at),
    operatorId: row.operator_id,
    name: row.name,
    address: {
      street: row.address_street,
      city: row.address_city,
      postalCode: row.address_postal_code,
      country: row.address_country,
    },
    location: { latitude: row.latitude, longitude: row.longitude },
    timezone: row.timezone,
    tariff: { id: row.tariff_id },
  }));
}

/** Stations by id for reads (`station(id)`, `_entities`), one statement per request tick. */
export const stationRecordById = byId(async (ctx, ids) => {
  const valid = uuidsOnly(ids);
  return valid.length ? selectStations(ctx, `select ${STATION_COLUMNS} from station s where s.id in (?)`, [valid]) : [];
});
