import type { SubgraphName } from '../platform/config.js';
import type { SubgraphModule } from '../platform/subgraph/server.js';
import { operatorSubgraph } from './operator/index.js';
import { stationSubgraph } from './station/index.js';
import { sessionSubgraph } from './session/index.js';
import { paymentSubgraph } from './payment/index.js';

/** Every subgraph of ChargeGraph, in start order (later ones resolve entities from earlier ones). */
export const subgraphModules: Partial<Record<SubgraphName, SubgraphModule>> = {
  operator: operatorSubgraph,
  station: stationSubgraph,
  session: sessionSubgraph,
  payment: paymentSubgraph,
};
