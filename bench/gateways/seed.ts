/**
 * Benchmark data, written through our gateway's public API like dev/seed.ts (so it passes every rule a client's
 * data does): the demo operators and stations, onboarded with the Stripe emulator; a driver with a history of
 * charged sessions (the best-case history); one (driver, connector) pair per write-mix connection, each driver with
 * a saved card; and for the varied workloads, more operators (each with its own admin reading its payments) and
 * 48 drivers with charged sessions of their own at those operators' stations. The write mix runs only at the demo
 * operators' stations, so what the varied reads see does not change during a run.
 */
import { Role } from '../../platform/identity.js';
import {
  DEMO_OPERATORS,
  onboardOperators,
  SEED_ADMIN,
  seedDemoData,
  waitUntilPayable,
  type GraphQLCall,
} from '../../dev/seed.js';
import { signDevToken, type TokenClaims } from '../../dev/tokens.js';

export interface WriteSlot {
  driver: string;
  stationId: string;
  connectorId: string;
  operatorId: string;
}

export interface BenchData {
  operatorIds: string[];
  /** The station of the single-subgraph lookup. */
  lookupStationId: string;
  historyDriver: string;
  historySessions: number;
  slots: WriteSlot[];
  /** Every seeded station (the random lookups). */
  stationIds: string[];
  /** Centres of the seeded area's cities (the catalogue near random places). */
  places: Array<{ latitude: number; longitude: number }>;
  /** Drivers with a history of their own (the varied history and session reads). */
  drivers: Array<{ driver: string; sessionIds: string[] }>;
  /** Operators with payments that the write mix does not add to (the operator admins' reads). */
  paymentOperatorIds: string[];
}

export const HISTORY_DRIVER = 'bench-history-driver';
const HISTORY_SESSIONS = 20;
/** The varied reads: this many more operators (each with stations), drivers, and charged sessions per driver. */
const EXTRA_OPERATORS = 12;
const EXTRA_STATIONS_PER_OPERATOR = 3;
export interface DriverSeed {
  drivers: number;
  sessionsPerDriver: number;
}
export const FULL_DRIVERS: DriverSeed = { drivers: 48, sessionsPerDriver: 3 };
/** --quick: fewer chains to seed (the seeding is most of a quick run's set-up). */
export const QUICK_DRIVERS: DriverSeed = { drivers: 40, sessionsPerDriver: 1 };

export function callerFor(gatewayUrl: string, jwtSecret: string) {
  return async (who: TokenClaims): Promise<GraphQLCall> => {
    const token = await signDevToken(who, jwtSecret);
    return async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      type Body = { data?: T; errors?: Array<{ message: string; extensions?: { code?: string } }> };
      let response: Response | undefined;
      let body: Body = {};
      // A call that only says "try again" (an idle pooled socket that hung up, the provider briefly unreachable on
      // a busy machine) is tried again, a few times: seeding must not fail on it. Those errors promise that
      // nothing was done twice.
      for (let attempt = 0; attempt < 4; attempt++) {
        if (attempt) await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
        response = await fetch(gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query, variables }),
        });
        body = (await response.json()) as Body;
        const codes = body.errors?.map((e) => e.extensions?.code) ?? [];
        if (!codes.some((c) => c === 'UPSTREAM_UNAVAILABLE' || c === 'PAYMENT_PROVIDER_UNAVAILABLE')) break;
      }
      if (body.errors?.length || !body.data)
        throw new Error(
          `${query.slice(0, 60)}…: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response?.status}`}`,
        );
      return body.data;
    };
  };
}

interface StationRow {
  id: string;
  operator: { id: string };
  tariff: { id: string };
  connectors: Array<{ id: string; status: string }>;
}

export async function seedBenchData(
  gatewayUrl: string,
  jwtSecret: string,
  writeSlots: number,
  log: (line: string) => void,
  driverSeed: DriverSeed = FULL_DRIVERS,
): Promise<BenchData> {
  const as = callerFor(gatewayUrl, jwtSecret);
  const admin = await as(SEED_ADMIN);
  const { operatorIds: demoOperatorIds } = await seedDemoData(admin);
  const extraOperatorIds = await seedExtraOperators(admin);
  const operatorIds = [...demoOperatorIds, ...extraOperatorIds];
  await onboardOperators(admin, operatorIds);
  await waitUntilPayable(admin, operatorIds, 30_000);

  const listStations = async () =>
    (
      await admin<{ stations: { edges: Array<{ node: StationRow }> } }>(
        `{ stations(first: 100) { edges { node { id operator { id } tariff { id } connectors { id status } } } } }`,
        {},
      )
    ).stations.edges.map((e) => e.node);
  let stations = await listStations();
  const extra = new Set(extraOperatorIds);
  // The write mix (and the best-case history) only at the demo operators' stations.
  const pairs = () =>
    stations
      .filter((s) => !extra.has(s.operator.id))
      .flatMap((s) => s.connectors.map((c) => ({ station: s, connectorId: c.id })));
  // The history driver charges on the last pairs; every write-mix connection needs a pair of its own.
  const needed = writeSlots + 1;
  if (pairs().length < needed) {
    const model = stations.find((s) => !extra.has(s.operator.id))!;
    const depots = Math.ceil((needed - pairs().length) / 4);
    for (let i = 0; i < depots; i++) {
      await admin(`mutation ($input: CreateStationInput!) { createStation(input: $input) { id } }`, {
        input: {
          operatorId: model.operator.id,
          name: `Bench Depot ${i + 1}`,
          address: { street: `${i + 1} Depot Road`, city: 'Berlin', postalCode: '10117', country: 'DE' },
          location: { latitude: 52.4 + i * 0.01, longitude: 13.3 },
          timezone: 'Europe/Berlin',
          tariffId: model.tariff.id,
          connectors: Array.from({ length: 4 }, () => ({ standard: 'CCS2', powerKw: 150 })),
        },
      });
    }
    stations = await listStations();
  }
  const all = pairs();
  const slots: WriteSlot[] = all.slice(0, writeSlots).map(({ station, connectorId }, i) => ({
    driver: `bench-driver-${i + 1}`,
    stationId: station.id,
    connectorId,
    operatorId: station.operator.id,
  }));
  // Ten at a time: each driver is independent.
  for (let i = 0; i < slots.length; i += 10) {
    await Promise.all(
      slots.slice(i, i + 10).map(async (slot) => {
        const driver = await as({ role: Role.DRIVER, sub: slot.driver });
        await driver(`mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id } }`, {});
      }),
    );
  }
  log(
    `seeded ${operatorIds.length} operators, ${stations.length} stations, ${slots.length} write-mix drivers with cards`,
  );

  // A driver's history: charged sessions at stations of every operator (session, station, operator, payment).
  const historyDriver = await as({ role: Role.DRIVER, sub: HISTORY_DRIVER });
  await historyDriver(`mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id } }`, {});
  const admins = new Map<string, GraphQLCall>();
  for (let i = 0; i < HISTORY_SESSIONS; i++) {
    const { station, connectorId } = all[(i * 7) % all.length];
    const operatorId = station.operator.id;
    if (!admins.has(operatorId))
      admins.set(operatorId, await as({ role: Role.OPERATOR_ADMIN, sub: 'bench-operator-admin', operatorId }));
    await runChain(
      { driver: historyDriver, operatorAdmin: admins.get(operatorId)! },
      station.id,
      connectorId,
      // Metered right after the start: plausible only up to 100 Wh that soon.
      40 + i * 2,
    );
  }
  log(`seeded ${HISTORY_SESSIONS} charged sessions for ${HISTORY_DRIVER}`);

  const drivers = await seedDrivers(
    as,
    stations.filter((s) => extra.has(s.operator.id)),
    admins,
    driverSeed,
  );
  log(
    `seeded ${extraOperatorIds.length} more operators, ${drivers.length} drivers with ${driverSeed.sessionsPerDriver} charged sessions each at their stations`,
  );
  return {
    operatorIds,
    lookupStationId: stations[0].id,
    historyDriver: HISTORY_DRIVER,
    historySessions: HISTORY_SESSIONS,
    slots,
    stationIds: stations.map((s) => s.id),
    places: DEMO_OPERATORS.map((d) => ({ latitude: d.city.latitude, longitude: d.city.longitude })),
    drivers,
    paymentOperatorIds: extraOperatorIds,
  };
}

/**
 * Operators beyond the demo's four, in the demo cities (a few km out, so the catalogue near a place finds a mix),
 * each with a tariff and a few stations. Idempotent like seedDemoData: an existing "Bench Operator" is kept.
 */
async function seedExtraOperators(admin: GraphQLCall): Promise<string[]> {
  const { operators } = await admin<{ operators: { edges: Array<{ node: { id: string; name: string } }> } }>(
    `{ operators(first: 100) { edges { node { id name } } } }`,
    {},
  );
  const existing = operators.edges.filter((e) => e.node.name.startsWith('Bench Operator ')).map((e) => e.node.id);
  if (existing.length) return existing;
  const ids: string[] = [];
  for (let k = 0; k < EXTRA_OPERATORS; k++) {
    const demo = DEMO_OPERATORS[k % DEMO_OPERATORS.length];
    const ring = Math.floor(k / DEMO_OPERATORS.length) + 1;
    const { createOperator } = await admin<{ createOperator: { id: string } }>(
      `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
      {
        input: {
          name: `Bench Operator ${k + 1}`,
          country: demo.country,
          defaultCurrency: demo.currency,
          contactEmail: `ops${k + 1}@bench-operator.example`,
        },
      },
    );
    const { createTariff } = await admin<{ createTariff: { id: string } }>(
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: createOperator.id,
          name: `Bench ${k + 1} standard`,
          currency: demo.currency,
          ...demo.tariff,
        },
      },
    );
    for (let i = 0; i < EXTRA_STATIONS_PER_OPERATOR; i++) {
      await admin(`mutation ($input: CreateStationInput!) { createStation(input: $input) { id } }`, {
        input: {
          operatorId: createOperator.id,
          name: `Bench ${k + 1} ${['North', 'East', 'South'][i]}`,
          address: {
            street: `${i + 1} Bench Street`,
            city: demo.city.name,
            postalCode: demo.city.postalCode,
            country: demo.country,
          },
          // Rings of about 3 km around the demo city's centre, a station every ~1.5 km along it.
          location: {
            latitude: demo.city.latitude + ring * 0.027 * Math.cos(i + k),
            longitude: demo.city.longitude + ring * 0.04 * Math.sin(i + k),
          },
          timezone: demo.city.timezone,
          tariffId: createTariff.id,
          connectors: [
            { standard: 'CCS2', powerKw: 150 },
            { standard: 'TYPE2', powerKw: 22 },
          ],
        },
      });
    }
    ids.push(createOperator.id);
  }
  return ids;
}

/**
 * Drivers with a few charged sessions each, at the extra operators' stations (so every one of them has payments).
 * Chains run in parallel on distinct connectors: a connector holds one session at a time.
 */
async function seedDrivers(
  as: (who: TokenClaims) => Promise<GraphQLCall>,
  stations: StationRow[],
  admins: Map<string, GraphQLCall>,
  { drivers: driverCount, sessionsPerDriver }: DriverSeed,
): Promise<Array<{ driver: string; sessionIds: string[] }>> {
  const connectors = stations.flatMap((s) => s.connectors.map((c) => ({ station: s, connectorId: c.id })));
  const drivers = Array.from({ length: driverCount }, (_, i) => ({
    driver: `bench-varied-driver-${i + 1}`,
    sessionIds: [] as string[],
  }));
  const calls = await Promise.all(
    drivers.map(async ({ driver }) => {
      const call = await as({ role: Role.DRIVER, sub: driver });
      await call(`mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id } }`, {});
      return call;
    }),
  );
  for (const { station } of connectors) {
    const operatorId = station.operator.id;
    if (!admins.has(operatorId))
      admins.set(operatorId, await as({ role: Role.OPERATOR_ADMIN, sub: 'bench-operator-admin', operatorId }));
  }
  // Round j of every driver before round j + 1: a batch never holds two sessions of one driver (one at a time each).
  const chains = Array.from({ length: sessionsPerDriver }, (_, j) => drivers.map((_, i) => ({ i, j }))).flat();
  const parallel = Math.min(10, connectors.length);
  for (let start = 0; start < chains.length; start += parallel) {
    const batch = chains.slice(start, start + parallel);
    const ids = await Promise.all(
      batch.map(({ i, j }, n) => {
        const { station, connectorId } = connectors[(start + n) % connectors.length];
        return runChain(
          { driver: calls[i], operatorAdmin: admins.get(station.operator.id)! },
          station.id,
          connectorId,
          30 + ((i * 7 + j * 13) % 60),
        );
      }),
    );
    batch.forEach(({ i }, n) => drivers[i].sessionIds.push(ids[n]));
  }
  return drivers;
}

/** start → meter → stop → charge, as the write mix does it. */
async function runChain(
  { driver, operatorAdmin }: { driver: GraphQLCall; operatorAdmin: GraphQLCall },
  stationId: string,
  connectorId: string,
  energyWh: number,
): Promise<string> {
  const { startChargingSession } = await driver<{ startChargingSession: { id: string } }>(
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id } }`,
    { input: { stationId, connectorId } },
  );
  const id = startChargingSession.id;
  await operatorAdmin(`mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id } }`, {
    input: { sessionId: id, energyWh, measuredAt: new Date().toISOString() },
  });
  await driver(`mutation ($id: ID!) { stopChargingSession(id: $id) { id } }`, { id });
  await driver(`mutation ($id: ID!) { chargeSession(sessionId: $id) { id } }`, { id });
  return id;
}
