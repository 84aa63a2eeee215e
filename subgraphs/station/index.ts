import type { SubgraphModule } from '../common/server.js';
import { StationConnectorCountResolver } from './analytics/connector-count.resolver.js';
import { ConnectorResolver } from './connector/connector.resolver.js';
import { Connector } from './connector/connector.entity.js';
import { migrations } from './migrations/index.js';
import { OperatorStationsResolver, operatorReferences } from './operator/operator.resolver.js';
import { Station } from './station/station.entity.js';
import { StationResolver, stationReferences } from './station/station.resolver.js';
import { Tariff } from './tariff/tariff.entity.js';
import { TariffResolver, tariffReferences } from './tariff/tariff.resolver.js';

/** The public catalogue: stations, their connectors and tariffs (+ `Operator.stations`). */
export const stationSubgraph: SubgraphModule = {
  name: 'station',
  entities: [Station, Connector, Tariff],
  migrations,
  resolvers: [
    StationResolver,
    TariffResolver,
    ConnectorResolver,
    OperatorStationsResolver,
    StationConnectorCountResolver,
  ],
  referenceResolvers: { ...stationReferences, ...tariffReferences, ...operatorReferences },
};
