import type { EntityManager } from '@mikro-orm/postgresql';
import { byId } from '../../../platform/subgraph/context.js';
import { uuidsOnly } from '../../../platform/ids.js';
import type { Operator, OperatorStatus } from './operator.entity.js';

/**
 * What the GraphQL type `Operator` reads. The entity has this shape, and so has a plain row: reads return rows
 * (no entity hydration, no identity map), writes keep the entity.
 */
export type OperatorRecord = {
  // Every property of the entity: a column added there and forgotten here is a compile error, not a null field.
  [K in keyof Operator as K extends symbol ? never : K]: Operator[K];
};

interface OperatorColumns {
  id: string;
  created_at: string;
  updated_at: string;
  name: string;
  country: string;
  default_currency: string;
  contact_email: string;
  status: OperatorStatus;
  legal_name: string | null;
  legal_address: string | null;
  vat_id: string | null;
  post_paid: boolean;
}

const COLUMNS =
  'o.id, o.created_at, o.updated_at, o.name, o.country, o.default_currency, o.contact_email, o.status, ' +
  'o.legal_name, o.legal_address, o.vat_id, o.post_paid';

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
    legalName: row.legal_name,
    legalAddress: row.legal_address,
    vatId: row.vat_id,
    postPaid: row.post_paid,
  }));
}

/** Operators by id for reads (`operator(id)`, `_entities`), one statement per request tick. */
export const operatorRecordById = byId(async (ctx, ids) => {
  const valid = uuidsOnly(ids);
  return valid.length ? selectOperators(ctx.em, 'o.id in (?)', '', [valid]) : [];
});
