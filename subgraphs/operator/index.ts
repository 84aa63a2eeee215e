import type { SubgraphModule } from '../../platform/subgraph/server.js';
import { migrations } from './migrations/index.js';
import { Operator } from './operator/operator.entity.js';
import { OperatorResolver, operatorReferences } from './operator/operator.resolver.js';

/** Operators: who runs stations and receives their money. */
export const operatorSubgraph: SubgraphModule = {
  name: 'operator',
  entities: [Operator],
  migrations,
  resolvers: [OperatorResolver],
  referenceResolvers: operatorReferences,
};
