import { busDatabaseUrl, Bus } from '../../platform/bus.js';
import { ChargerCommandClient } from '../../platform/charger-commands.js';
import { databaseUrl } from '../../platform/database-admin.js';
import { JobQueue } from '../../platform/subgraph/jobs.js';
import type { SubgraphModule } from '../../platform/subgraph/server.js';
import { OperatorEnergyResolver, StationAnalyticsResolver } from './analytics/analytics.resolver.js';
import { SessionEnergyDaily } from './analytics/energy-daily.entity.js';
import { ChargerResolver } from './charger/charger.resolver.js';
import { loadSessionConfig } from './config.js';
import { ResolverContainer } from '../../platform/subgraph/container.js';
import { SessionJob, type SessionJobData } from './lifecycle/jobs.js';
import { SessionLifecycle } from './lifecycle/lifecycle.service.js';
import { SessionRuntime } from './lifecycle/runtime.js';
import { migrations } from './migrations/index.js';
import { RfidTag } from './rfid/rfid.entity.js';
import { RfidTagResolver } from './rfid/rfid.resolver.js';
import { MeterValue } from './session/meter-value.entity.js';
import { Operator, Station } from './references.js';
import { DriverPseudonyms } from './access.js';
import { ChargingSession, FinalPrice, TariffSnapshot } from './session/session.entity.js';
import {
  ChargingSessionResolver,
  DriverIdResolver,
  StationSessionsResolver,
  sessionReferences,
} from './session/session.resolver.js';
import { ChargingSessionSubscriptionResolver } from './session/session.subscription.js';

/** What `provide` builds, handed to tests (they run the job bodies directly). */
export interface SessionServices {
  runtime: SessionRuntime;
  lifecycle: SessionLifecycle;
  jobs: JobQueue;
}

export interface SessionSubgraphOptions {
  /** Where the session settings come from (default: the environment the process config was read from). */
  env?: NodeJS.ProcessEnv;
  onServices?: (services: SessionServices) => void;
}

/**
 * Charging sessions: who charges where, the tariff fixed at start, the session's life as its charger reports it
 * (PENDING → ACTIVE → ended), meter values, the price, RFID tags, and the jobs that settle and sweep sessions.
 */
export const createSessionSubgraph = (options: SessionSubgraphOptions = {}): SubgraphModule => ({
  name: 'session',
  entities: [ChargingSession, TariffSnapshot, FinalPrice, MeterValue, SessionEnergyDaily, RfidTag],
  migrations,
  resolvers: [
    ChargingSessionResolver,
    StationSessionsResolver,
    OperatorEnergyResolver,
    StationAnalyticsResolver,
    DriverIdResolver,
    ChargingSessionSubscriptionResolver,
    RfidTagResolver,
    ChargerResolver,
  ],
  // Stubs reached only through field resolvers would be dropped from the SDL without this.
  orphanedTypes: [Station, Operator],
  // Answers of the service-only charger operations: not part of the public API.
  inaccessibleEnums: ['IdTagStatus'],
  referenceResolvers: sessionReferences,
  async provide({ config, orm, logger, services }) {
    const settings = loadSessionConfig(options.env ?? config.env);
    const bus = await Bus.connect(busDatabaseUrl(config), logger);
    const jobs = await JobQueue.start({
      connectionString: databaseUrl(config, 'session'),
      logger,
      pollingIntervalSeconds: settings.SESSION_JOB_POLLING_SECONDS,
    });
    const chargers = new ChargerCommandClient({
      caller: 'session',
      baseUrl: config.OCPP_URL,
      signingSecret: config.signingSecrets[0],
      timeoutMs: settings.SESSION_CHARGER_COMMAND_TIMEOUT_MS,
    });
    const runtime = new SessionRuntime(settings, chargers, logger, bus, jobs);
    const lifecycle = new SessionLifecycle(orm, services, runtime, logger);

    const byId = (work: (sessionId: string) => Promise<unknown>) => async (data: SessionJobData) => {
      await work(data.sessionId);
    };
    await jobs.work<SessionJobData>(
      SessionJob.START_TIMEOUT,
      byId((id) => lifecycle.startTimeout(id)),
    );
    await jobs.work<SessionJobData>(
      SessionJob.SETTLE,
      byId((id) => lifecycle.settle(id)),
      {
        retryLimit: 10,
        retryDelay: 5,
        retryBackoff: true,
      },
    );
    await jobs.work<SessionJobData>(
      SessionJob.HOLD_CHECK,
      byId((id) => lifecycle.holdCheck(id)),
    );
    // A sweep that fails is simply the next minute's work: no retries piling up behind the cron.
    await jobs.work(SessionJob.IDLE_SWEEP, () => lifecycle.idleSweep().then(() => undefined), { retryLimit: 0 });
    await jobs.schedule(SessionJob.IDLE_SWEEP, '* * * * *');

    options.onServices?.({ runtime, lifecycle, jobs });
    return {
      container: new ResolverContainer()
        .register(DriverIdResolver, new DriverIdResolver(DriverPseudonyms.fromConfig(config, logger)))
        .register(ChargingSessionResolver, new ChargingSessionResolver(runtime))
        .register(ChargerResolver, new ChargerResolver(runtime)),
      async close() {
        await jobs.stop();
        await bus.close();
      },
    };
  },
});

export const sessionSubgraph = createSessionSubgraph();
