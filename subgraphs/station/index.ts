import { ChargerCommandClient } from '../../platform/charger-commands.js';
import { ResolverContainer } from '../../platform/subgraph/container.js';
import type { SubgraphModule } from '../../platform/subgraph/server.js';
import { StationConnectorCountResolver } from './analytics/connector-count.resolver.js';
import { ChargePoint } from './charge-point/charge-point.entity.js';
import { ChargePointResolver, StationChargePointsResolver } from './charge-point/charge-point.resolver.js';
import { ConnectorResolver } from './connector/connector.resolver.js';
import { Connector } from './connector/connector.entity.js';
import { migrations } from './migrations/index.js';
import { OperatorStationsResolver, operatorReferences } from './operator-stations/operator-stations.resolver.js';
import { Station } from './station/station.entity.js';
import { StationResolver, stationReferences } from './station/station.resolver.js';
import { Tariff } from './tariff/tariff.entity.js';
import { TariffResolver, tariffReferences } from './tariff/tariff.resolver.js';

/** A Disconnect only closes a socket at the OCPP process: it answers at once or the charger is simply not there. */
const DISCONNECT_TIMEOUT_MS = 3_000;

/** The public catalogue: stations, their connectors, tariffs and charge points (+ `Operator.stations`). */
export const stationSubgraph: SubgraphModule = {
  name: 'station',
  entities: [Station, Connector, Tariff, ChargePoint],
  migrations,
  resolvers: [
    StationResolver,
    TariffResolver,
    ConnectorResolver,
    ChargePointResolver,
    StationChargePointsResolver,
    OperatorStationsResolver,
    StationConnectorCountResolver,
  ],
  referenceResolvers: { ...stationReferences, ...tariffReferences, ...operatorReferences },
  // Only markConnectorSession (service-only) takes it.
  inaccessibleEnums: ['ConnectorSessionState'],
  async provide({ config }) {
    const commands = new ChargerCommandClient({
      caller: 'station',
      baseUrl: config.OCPP_URL,
      signingSecret: config.signingSecrets[0],
      timeoutMs: DISCONNECT_TIMEOUT_MS,
    });
    return { container: new ResolverContainer().register(ChargePointResolver, new ChargePointResolver(commands)) };
  },
};
