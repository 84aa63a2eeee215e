import { entityStub } from '../../platform/subgraph/entity-stub.js';

/**
 * Federation stubs of entities other subgraphs own. The operator subgraph owns `Operator`; this subgraph only knows
 * its key and contributes `Operator.stations` (operator-stations/).
 * Not a database entity: stations and tariffs store the operator's id as a plain column.
 */
export const Operator = entityStub('Operator');
export type Operator = InstanceType<typeof Operator>;
