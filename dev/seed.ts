import { Role } from '../platform/identity.js';

export type GraphQLCall = <T>(query: string, variables: Record<string, unknown>) => Promise<T>;

interface DemoOperator {
  name: string;
  country: string;
  currency: string;
  email: string;
  city: { name: string; postalCode: string; latitude: number; longitude: number; timezone: string };
  tariff: {
    energyPricePerKwh: string;
    timePricePerHour: string;
    sessionFee: number;
    taxRateBasisPoints: number;
    preAuthorizationAmount: number;
  };
}

/** Operators in different countries and currencies, JPY (zero-decimal) among them. */
export const DEMO_OPERATORS: DemoOperator[] = [
  {
    name: 'Stromfluss GmbH',
    country: 'DE',
    currency: 'EUR',
    email: 'betrieb@stromfluss.example',
    city: { name: 'Berlin', postalCode: '10117', latitude: 52.52, longitude: 13.405, timezone: 'Europe/Berlin' },
    tariff: {
      energyPricePerKwh: '0.349',
      timePricePerHour: '1.2',
      sessionFee: 50,
      taxRateBasisPoints: 1900,
      preAuthorizationAmount: 5000,
    },
  },
  {
    name: 'Denki Charge K.K.',
    country: 'JP',
    currency: 'JPY',
    email: 'ops@denki.example',
    city: { name: 'Tokyo', postalCode: '100-0005', latitude: 35.6812, longitude: 139.7671, timezone: 'Asia/Tokyo' },
    tariff: {
      energyPricePerKwh: '55',
      timePricePerHour: '0',
      sessionFee: 100,
      taxRateBasisPoints: 1000,
      preAuthorizationAmount: 5000,
    },
  },
  {
    name: 'Highland Volt Ltd',
    country: 'GB',
    currency: 'GBP',
    email: 'hello@highlandvolt.example',
    city: {
      name: 'Edinburgh',
      postalCode: 'EH1 1YZ',
      latitude: 55.9533,
      longitude: -3.1883,
      timezone: 'Europe/London',
    },
    tariff: {
      energyPricePerKwh: '0.79',
      timePricePerHour: '0',
      sessionFee: 0,
      taxRateBasisPoints: 2000,
      preAuthorizationAmount: 4000,
    },
  },
  {
    name: 'Alpen eMobil AG',
    country: 'CH',
    currency: 'CHF',
    email: 'service@alpen-emobil.example',
    city: { name: 'Zürich', postalCode: '8001', latitude: 47.3769, longitude: 8.5417, timezone: 'Europe/Zurich' },
    tariff: {
      energyPricePerKwh: '0.59',
      timePricePerHour: '0.6',
      sessionFee: 100,
      taxRateBasisPoints: 810,
      preAuthorizationAmount: 6000,
    },
  },
];

const STATIONS_PER_OPERATOR = 6;
const CONNECTOR_SETS = [
  [
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CCS2', powerKw: 150 },
    { standard: 'CHADEMO', powerKw: 50 },
  ],
  [
    { standard: 'TYPE2', powerKw: 22 },
    { standard: 'TYPE2', powerKw: 22 },
  ],
  [
    { standard: 'CCS2', powerKw: 350 },
    { standard: 'NACS', powerKw: 250 },
  ],
];

export const SEED_ADMIN = { role: Role.PLATFORM_ADMIN, sub: 'seed' } as const;

/** Demo data through the public API (so it passes every rule a client's data does); does nothing when data exists. */
export async function seedDemoData(call: GraphQLCall): Promise<{ seeded: boolean; operatorIds: string[] }> {
  const existing = await call<{ operators: { edges: Array<{ node: { id: string } }> } }>(
    `{ operators(first: 100) { edges { node { id } } } }`,
    {},
  );
  if (existing.operators.edges.length > 0)
    return { seeded: false, operatorIds: existing.operators.edges.map((e) => e.node.id) };

  const operatorIds: string[] = [];
  for (const demo of DEMO_OPERATORS) {
    const { createOperator } = await call<{ createOperator: { id: string } }>(
      `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
      { input: { name: demo.name, country: demo.country, defaultCurrency: demo.currency, contactEmail: demo.email } },
    );
    operatorIds.push(createOperator.id);
    const { createTariff } = await call<{ createTariff: { id: string } }>(
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: createOperator.id,
          name: `${demo.city.name} standard`,
          currency: demo.currency,
          ...demo.tariff,
        },
      },
    );
    for (let i = 0; i < STATIONS_PER_OPERATOR; i++) {
      await call(`mutation ($input: CreateStationInput!) { createStation(input: $input) { id } }`, {
        input: {
          operatorId: createOperator.id,
          name: `${demo.city.name} ${['Hauptbahnhof', 'Airport', 'Harbour', 'Old Town', 'Business Park', 'Stadium'][i]}`,
          address: {
            street: `${i + 1} Charging Street`,
            city: demo.city.name,
            postalCode: demo.city.postalCode,
            country: demo.country,
          },
          // Spread around the city centre, about 1 km apart.
          location: {
            latitude: demo.city.latitude + (i % 3) * 0.009,
            longitude: demo.city.longitude + Math.floor(i / 3) * 0.012,
          },
          timezone: demo.city.timezone,
          tariffId: createTariff.id,
          connectors: CONNECTOR_SETS[i % CONNECTOR_SETS.length],
        },
      });
    }
  }
  return { seeded: true, operatorIds };
}

/**
 * Onboards operators with the payment provider: creates each connected account and opens its onboarding link.
 * With the local emulator, opening the link completes onboarding (an `account.updated` webhook then enables charges).
 */
export async function onboardOperators(call: GraphQLCall, operatorIds: string[]): Promise<void> {
  for (const operatorId of operatorIds) {
    const { startOperatorOnboarding } = await call<{ startOperatorOnboarding: { url: string } }>(
      `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url } }`,
      { id: operatorId },
    );
    const response = await fetch(startOperatorOnboarding.url);
    if (!response.ok) throw new Error(`onboarding link answered ${response.status}`);
  }
}

/** Waits until the provider's webhooks have enabled charges for every operator. */
export async function waitUntilPayable(call: GraphQLCall, operatorIds: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { operators } = await call<{
      operators: { edges: Array<{ node: { id: string; paymentAccount: { chargesEnabled: boolean } | null } }> };
    }>(`{ operators(first: 100) { edges { node { id paymentAccount { chargesEnabled } } } } }`, {});
    const payable = new Set(operators.edges.filter((e) => e.node.paymentAccount?.chargesEnabled).map((e) => e.node.id));
    if (operatorIds.every((id) => payable.has(id))) return;
    if (Date.now() > deadline)
      throw new Error('operators were not enabled for charges in time (webhooks not delivered?)');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The demo operators' stations (found by name, so stations added by `seed:bulk` or by hand are left alone), in
 * seed order: these get a simulated charger each at `npm start`.
 */
export async function demoStations(call: GraphQLCall): Promise<Array<{ id: string; operatorId: string }>> {
  const { operators } = await call<{ operators: { edges: Array<{ node: { id: string; name: string } }> } }>(
    `{ operators(first: 100) { edges { node { id name } } } }`,
    {},
  );
  const stations: Array<{ id: string; operatorId: string }> = [];
  for (const demo of DEMO_OPERATORS) {
    const operator = operators.edges.find((e) => e.node.name === demo.name);
    if (!operator) continue;
    const page = await call<{ stations: { edges: Array<{ node: { id: string } }> } }>(
      `query ($operatorId: ID!, $first: Int!) { stations(filter: { operatorId: $operatorId }, first: $first) { edges { node { id } } } }`,
      { operatorId: operator.node.id, first: STATIONS_PER_OPERATOR },
    );
    for (const { node } of page.stations.edges) stations.push({ id: node.id, operatorId: operator.node.id });
  }
  return stations;
}
