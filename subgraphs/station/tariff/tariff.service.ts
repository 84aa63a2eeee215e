import { requireManageCatalogue } from '../access.js';
import { byId, type RequestContext } from '../../../platform/subgraph/context.js';
import { badInput, notFound } from '../../../platform/errors.js';
import { uuidsOnly } from '../../../platform/ids.js';
import { requireOperator } from '../operator-stations/operator-stations.service.js';
import { Tariff } from './tariff.entity.js';
import { tariffRecordById, type TariffRecord } from './tariff.rows.js';
import type { CreateTariffInput } from './tariff.inputs.js';

/** Domain operations on tariffs; resolvers stay thin. */
export class TariffService {
  constructor(private readonly ctx: RequestContext) {}

  /** One tariff for reads (a plain row, no entity). */
  async find(id: string): Promise<TariffRecord> {
    const tariff = await this.ctx.loader(tariffRecordById).load(id);
    if (!tariff) throw notFound('Tariff', id);
    return tariff;
  }

  async create(input: CreateTariffInput): Promise<Tariff> {
    requireManageCatalogue(this.ctx.identity, input.operatorId);
    await requireOperator(this.ctx, input.operatorId);
    const { sessionFee, ...fields } = input;
    const tariff = this.ctx.em.create(Tariff, { ...fields, sessionFeeAmount: sessionFee });
    await this.ctx.em.flush();
    return tariff;
  }

  /** The tariff a station of `operatorId` may use: it must exist and belong to that same operator. */
  async requireUsableBy(tariffId: string, operatorId: string): Promise<Tariff> {
    const tariff = await this.ctx.loader(tariffById).load(tariffId);
    if (!tariff) throw badInput(`Tariff ${tariffId} does not exist.`, 'tariffId');
    if (tariff.operatorId !== operatorId) {
      throw badInput(
        `Tariff ${tariffId} belongs to another operator; a station can only use its own operator's tariffs.`,
        'tariffId',
      );
    }
    return tariff;
  }
}

export const tariffById = byId(async (ctx, ids) => {
  const valid = uuidsOnly(ids);
  return valid.length ? ctx.em.find(Tariff, { id: { $in: valid } }) : [];
});
