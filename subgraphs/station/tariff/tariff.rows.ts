import { byId } from '../../../platform/subgraph/context.js';
import { uuidsOnly } from '../../../platform/ids.js';

/** What the GraphQL type `Tariff` and its field resolvers read; the entity has this shape too (writes return it). */
export interface TariffRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  operatorId: string;
  name: string;
  currency: string;
  energyPricePerKwh: string;
  timePricePerHour: string;
  sessionFeeAmount: number;
  taxRateBasisPoints: number;
  preAuthorizationAmount: number;
}

interface TariffColumns {
  id: string;
  created_at: string;
  updated_at: string;
  operator_id: string;
  name: string;
  currency: string;
  energy_price_per_kwh: string;
  time_price_per_hour: string;
  session_fee_amount: number;
  tax_rate_basis_points: number;
  pre_authorization_amount: number;
}

/** Tariffs by id for reads (`Station.tariff`, `tariff(id)`, `_entities`), one statement per request tick. */
export const tariffRecordById = byId(async (ctx, ids): Promise<TariffRecord[]> => {
  const valid = uuidsOnly(ids);
  if (!valid.length) return [];
  const platform = ctx.em.getPlatform();
  const rows = await ctx.em.execute<TariffColumns[]>(
    `select t.id, t.created_at, t.updated_at, t.operator_id, t.name, t.currency, t.energy_price_per_kwh,
       t.time_price_per_hour, t.session_fee_amount, t.tax_rate_basis_points, t.pre_authorization_amount
     from tariff t where t.id in (?)`,
    [valid],
  );
  return rows.map((row) => ({
    id: row.id,
    createdAt: platform.parseDate(row.created_at),
    updatedAt: platform.parseDate(row.updated_at),
    operatorId: row.operator_id,
    name: row.name,
    currency: row.currency,
    energyPricePerKwh: row.energy_price_per_kwh,
    timePricePerHour: row.time_price_per_hour,
    sessionFeeAmount: row.session_fee_amount,
    taxRateBasisPoints: row.tax_rate_basis_points,
    preAuthorizationAmount: row.pre_authorization_amount,
  }));
});
