import type { EntityManager } from '@mikro-orm/postgresql';
import { byId } from '../../../platform/subgraph/context.js';
import { uuidsOnly } from '../../../platform/ids.js';
import type { OperatorStatus } from './operator.entity.js';

/**
 * What the GraphQL type `Operator` reads. The entity has this shape, and so has a plain row: reads return rows
 * (no entity hydration, no identity map), writes keep the entity.
 */
export interface OperatorRecord {
  id: string;
  createdAt: Date;
  updatedAt: Date;
  name: string;
  country: string;
  defaultCurrency: string;
  contactEmail: string;
  status: OperatorStatus;
  postPaid: boolean;
}

interface OperatorColumns {
  id: string;
  created_at: string;
  updated_at: string;
  name: string;
  country: string;
  default_currency: string;
  contact_email: string;
  status: OperatorStatus;
  post_paid: boolean;
}

const COLUMNS =
  'o.id, o.created_at, o.updated_at, o.name, o.country, o.default_currency, o.contact_email, o.status, o.post_paid';

/** Operators matching `where` (over `operator o`), in the order and number `tail` says. */
export async function selectOperators(
  em: EntityManager,
  where: string,
  tail: string,
  params: unknown[],
): Promise<OperatorRecord[]> {
  const platform = em.getPlatform();
  const rows = await em.execute<OperatorColumns[]>(
    `select ${COLUMNS} from operator o ${where ? `where ${where}` : ''} ${tail}`,
    params,
  );
  return rows.map((row) => ({
    id: row.id,
    createdAt: platform.parseDate(row.created_at),
    updatedAt: platform.parseDate(row.updated_at),
    name: row.name,
    country: row.country,
    defaultCurrency: row.default_currency,
    contactEmail: row.contact_email,
    status: row.status,
    postPaid: row.post_paid,
  }));
}

/** Operators by id for reads (`operator(id)`, `_entities`), one statement per request tick. */
export const operatorRecordById = byId(async (ctx, ids) => {
  const valid = uuidsOnly(ids);
  return valid.length ? selectOperators(ctx.em, 'o.id in (?)', '', [valid]) : [];
});
