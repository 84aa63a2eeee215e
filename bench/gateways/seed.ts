/**
 * Benchmark data, written through our gateway's public API like dev/seed.ts (so it passes every rule a client's
 * data does): the demo operators and stations, onboarded with the Stripe emulator; a driver with a history of
 * charged sessions; and one (driver, connector) pair per write-mix connection, each driver with a saved card.
 */
import { Role } from '../../platform/identity.js';
import { onboardOperators, SEED_ADMIN, seedDemoData, waitUntilPayable, type GraphQLCall } from '../../dev/seed.js';
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
}

export const HISTORY_DRIVER = 'bench-history-driver';
const HISTORY_SESSIONS = 20;

export function callerFor(gatewayUrl: string, jwtSecret: string) {
  return async (who: TokenClaims): Promise<GraphQLCall> => {
    const token = await signDevToken(who, jwtSecret);
    return async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
      const response = await fetch(gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
      if (body.errors?.length || !body.data)
        throw new Error(
          `${query.slice(0, 60)}…: ${body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`}`,
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
): Promise<BenchData> {
  const as = callerFor(gatewayUrl, jwtSecret);
  const admin = await as(SEED_ADMIN);
  const { operatorIds } = await seedDemoData(admin);
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
  const pairs = () => stations.flatMap((s) => s.connectors.map((c) => ({ station: s, connectorId: c.id })));
  // The history driver charges on the last pairs; every write-mix connection needs a pair of its own.
  const needed = writeSlots + 1;
  if (pairs().length < needed) {
    const model = stations[0];
    const extra = Math.ceil((needed - pairs().length) / 4);
    for (let i = 0; i < extra; i++) {
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
  return {
    operatorIds,
    lookupStationId: stations[0].id,
    historyDriver: HISTORY_DRIVER,
    historySessions: HISTORY_SESSIONS,
    slots,
  };
}

/** start → meter → stop → charge, as the write mix does it. */
async function runChain(
  { driver, operatorAdmin }: { driver: GraphQLCall; operatorAdmin: GraphQLCall },
  stationId: string,
  connectorId: string,
  energyWh: number,
): Promise<void> {
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
}
