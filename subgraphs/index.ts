import type { SubgraphName } from './common/config.js';
import type { SubgraphModule } from './common/server.js';
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
