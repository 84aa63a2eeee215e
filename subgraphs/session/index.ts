import type { SubgraphModule } from '../common/server.js';
import { migrations } from './migrations/index.js';
import { MeterValue } from './session/meter-value.entity.js';
import { Operator, Station } from './session/references.js';
import { ChargingSession, FinalPrice, TariffSnapshot } from './session/session.entity.js';
import {
  ChargingSessionResolver,
  DriverIdResolver,
  StationSessionsResolver,
  sessionReferences,
} from './session/session.resolver.js';
import { DriverPseudonyms } from './session/session.access.js';
import { ChargingSessionSubscriptionResolver } from './session/session.subscription.js';
import { ResolverContainer } from './container.js';
import { OperatorEnergyResolver, StationAnalyticsResolver } from './analytics/analytics.resolver.js';
import { SessionEnergyDaily } from './analytics/energy-daily.entity.js';

/** Charging sessions: who charges where, the tariff fixed at start, meter values, and the price. */
export const sessionSubgraph: SubgraphModule = {
  name: 'session',
  entities: [ChargingSession, TariffSnapshot, FinalPrice, MeterValue, SessionEnergyDaily],
  migrations,
  resolvers: [
    ChargingSessionResolver,
    StationSessionsResolver,
    OperatorEnergyResolver,
    StationAnalyticsResolver,
    DriverIdResolver,
    ChargingSessionSubscriptionResolver,
  ],
  // Stubs reached only through field resolvers would be dropped from the SDL without this.
  orphanedTypes: [Station, Operator],
  referenceResolvers: sessionReferences,
  // Analysts read sessions with pseudonymous driver ids; the pseudonyms' key comes from the configuration.
  async provide({ config, logger }) {
    return {
      container: new ResolverContainer().register(
        DriverIdResolver,
        new DriverIdResolver(DriverPseudonyms.fromConfig(config, logger)),
      ),
    };
  },
};
