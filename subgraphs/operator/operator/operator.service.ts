import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from '../../../platform/errors.js';
import { isUuid } from '../../../platform/ids.js';
import { decodeCursor, toConnection, type Connection, type PageArgs } from '../../../platform/subgraph/pagination.js';
import { Operator } from './operator.entity.js';
import { selectOperators, type OperatorRecord } from './operator.rows.js';
import type { CreateOperatorInput, UpdateOperatorInput } from './operator.inputs.js';
import { withoutUndefined } from '../../../platform/subgraph/objects.js';

/** Domain operations on operators; resolvers stay thin. */
export class OperatorService {
  constructor(private readonly em: EntityManager) {}

  async get(id: string): Promise<Operator> {
    const operator = isUuid(id) ? await this.em.findOne(Operator, { id }) : null;
    if (!operator) throw notFound('Operator', id);
    return operator;
  }

  /** One operator for reads (a plain row, no entity); `get` is for the writes that change it. */
  async find(id: string): Promise<OperatorRecord> {
    const [operator] = isUuid(id) ? await selectOperators(this.em, 'o.id = ?', '', [id]) : [];
    if (!operator) throw notFound('Operator', id);
    return operator;
  }

  async list({ first, after }: PageArgs): Promise<Connection<OperatorRecord>> {
    const rows = after
      ? await selectOperators(this.em, 'o.id > ?', 'order by o.id asc limit ?', [decodeCursor(after), first + 1])
      : await selectOperators(this.em, '', 'order by o.id asc limit ?', [first + 1]);
    return toConnection(rows, first);
  }

  async create(input: CreateOperatorInput): Promise<Operator> {
    const operator = this.em.create(Operator, { ...input });
    await this.em.flush();
    return operator;
  }

  async update(id: string, input: UpdateOperatorInput): Promise<Operator> {
    const operator = await this.get(id);
    this.em.assign(operator, withoutUndefined(input));
    await this.em.flush();
    return operator;
  }
}
