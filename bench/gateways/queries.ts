/**
 * The workloads, the same requests for every target. Best case: three reads, each one request sent again and again
 * (what sharing identical requests in flight serves best). Varied: five reads whose requests are drawn from a seeded
 * PRNG (random places and radii, random stations, 48 drivers each with their own token, admins of 12 operators) —
 * each request differs from the one before. And the write mix: a chain per connection (start → meter → stop →
 * charge), each step a mutation owned by one subgraph.
 */
import type { SubgraphName } from '../../platform/config.js';
import { Role, type Identity } from '../../platform/identity.js';
import { mulberry32, seedOf, sequence } from './prng.js';
import type { BenchData, WriteSlot } from './seed.js';

/** One request of a read: who asks (anonymous for the public catalogue) and with which variables. */
export interface ReadRequest {
  identity: Identity;
  variables: Record<string, unknown>;
}

export interface ReadQuery {
  kind: 'read';
  name: string;
  description: string;
  /** The identical-request rows (one request, sent again and again): the best case for sharing work in flight. */
  bestCase: boolean;
  subgraphs: SubgraphName[];
  /** The subgraph that answers it alone, when it is a single-subgraph query (then `direct` measures it too). */
  direct?: SubgraphName;
  query: string;
  /** Sent in turn by every connection (each starting at its own offset); one entry for the best case. */
  requests: ReadRequest[];
}

/** Requests per varied list: more than a run sends per connection, so a connection rarely comes round again. */
const VARIED_REQUESTS = 1000;

export interface WriteStep {
  name: string;
  subgraph: SubgraphName;
  identity(slot: WriteSlot): Identity;
  query: string;
  variables(slot: WriteSlot, sessionId: string): Record<string, unknown>;
  /** The session id a step's response carries (start), for the steps after it. */
  sessionIdFrom?(data: Record<string, unknown>): string;
}

export interface WriteMix {
  kind: 'write';
  name: string;
  description: string;
  subgraphs: SubgraphName[];
  steps: WriteStep[];
}

export type Workload = ReadQuery | WriteMix;

const CATALOGUE = `query Catalogue($first: Int!) {
  stations(first: $first) {
    edges {
      cursor
      node {
        id name timezone
        address { city country }
        location { latitude longitude }
        operator { id name country }
        tariff { id currency energyPricePerKwh timePricePerHour taxRateBasisPoints sessionFee { amount currency } }
        connectors { id standard powerKw status }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const HISTORY = `query History($first: Int!) {
  chargingSessions(first: $first) {
    edges {
      node {
        id status startedAt endedAt energyWh
        cost { total { amount currency } }
        station { id name address { city } operator { id name } }
        payment { id status amount { amount currency } receipt { number } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const LOOKUP = `query Station($id: ID!) {
  station(id: $id) {
    id name timezone createdAt
    address { street city postalCode country }
    location { latitude longitude }
    connectors { id standard powerKw status }
    tariff { id name currency energyPricePerKwh timePricePerHour taxRateBasisPoints }
  }
}`;

const CATALOGUE_NEAR = `query CatalogueNear($first: Int!, $near: NearInput!) {
  stations(first: $first, filter: { near: $near }) {
    edges {
      cursor
      node {
        id name timezone
        address { city country }
        location { latitude longitude }
        operator { id name country }
        tariff { id currency energyPricePerKwh timePricePerHour taxRateBasisPoints sessionFee { amount currency } }
        connectors { id standard powerKw status }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const SESSION = `query Session($id: ID!) {
  chargingSession(id: $id) {
    id status startedAt endedAt energyWh
    cost { total { amount currency } }
    station { id name address { city } operator { id name } }
    payment { id status amount { amount currency } receipt { number } }
  }
}`;

const OPERATOR_PAYMENTS = `query OperatorPayments($id: ID!, $first: Int!) {
  operator(id: $id) {
    id name
    payments(first: $first) {
      edges { node { id status createdAt capturedAt amount { amount currency } applicationFee { amount currency } refundedAmount { amount } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

const driver = (sub: string): Identity => ({ role: Role.DRIVER, sub });
const key = (r: ReadRequest) => JSON.stringify([r.identity, r.variables]);

export function workloads(data: BenchData): Workload[] {
  const random = (name: string) => mulberry32(seedOf(name));
  const near = random('catalogue-near');
  const lookup = random('lookup-random');
  const history = random('drivers-history');
  const session = random('drivers-session');
  const payments = random('operator-payments');
  return [
    {
      kind: 'read',
      name: 'catalogue',
      description:
        'best case: the same stations(first: 20) → operator, tariff, connectors, again and again (anonymous, station + operator subgraphs)',
      bestCase: true,
      subgraphs: ['station', 'operator'],
      query: CATALOGUE,
      requests: [{ identity: {}, variables: { first: 20 } }],
    },
    {
      kind: 'read',
      name: 'history',
      description: `best case: one driver's ${data.historySessions} sessions with station → operator and payment, again and again (one driver token; session, station, operator, payment subgraphs)`,
      bestCase: true,
      subgraphs: ['session', 'station', 'operator', 'payment'],
      query: HISTORY,
      requests: [{ identity: driver(data.historyDriver), variables: { first: 20 } }],
    },
    {
      kind: 'read',
      name: 'lookup',
      description:
        'best case: the same station(id) with address, connectors, tariff (anonymous, station subgraph only)',
      bestCase: true,
      subgraphs: ['station'],
      direct: 'station',
      query: LOOKUP,
      requests: [{ identity: {}, variables: { id: data.lookupStationId } }],
    },
    {
      kind: 'read',
      name: 'catalogue-near',
      description: `stations(first: 20, filter: { near }) with the catalogue's fields, near random places (within ~6 km of the ${data.places.length} seeded cities) and radii (0.5–25 km), as a map app sends them (anonymous, station + operator subgraphs)`,
      bestCase: false,
      subgraphs: ['station', 'operator'],
      query: CATALOGUE_NEAR,
      requests: sequence(
        VARIED_REQUESTS,
        () => {
          const place = near.pick(data.places);
          return {
            identity: {},
            variables: {
              first: 20,
              near: {
                latitude: Number((place.latitude + near.between(-0.05, 0.05, 4)).toFixed(4)),
                longitude: Number((place.longitude + near.between(-0.08, 0.08, 4)).toFixed(4)),
                radiusKm: near.between(0.5, 25, 1),
              },
            },
          };
        },
        key,
      ),
    },
    {
      kind: 'read',
      name: 'lookup-random',
      description: `station(id) with the lookup's fields, for a random one of the ${data.stationIds.length} seeded stations (anonymous, station subgraph only)`,
      bestCase: false,
      subgraphs: ['station'],
      direct: 'station',
      query: LOOKUP,
      requests: sequence(
        VARIED_REQUESTS,
        () => ({ identity: {}, variables: { id: lookup.pick(data.stationIds) } }),
        key,
      ),
    },
    {
      kind: 'read',
      name: 'drivers-history',
      description: `chargingSessions(first: 5–20) with the history's fields, each request a random one of ${data.drivers.length} drivers with their own token reading their own history (session, station, operator, payment subgraphs)`,
      bestCase: false,
      subgraphs: ['session', 'station', 'operator', 'payment'],
      query: HISTORY,
      requests: sequence(
        VARIED_REQUESTS,
        () => ({
          identity: driver(history.pick(data.drivers).driver),
          variables: { first: history.pick([5, 10, 20]) },
        }),
        key,
      ),
    },
    {
      kind: 'read',
      name: 'drivers-session',
      description: `chargingSession(id) with station → operator, cost and payment, each request a random one of ${data.drivers.length} drivers reading one of their own sessions (session, station, operator, payment subgraphs)`,
      bestCase: false,
      subgraphs: ['session', 'station', 'operator', 'payment'],
      query: SESSION,
      requests: sequence(
        VARIED_REQUESTS,
        () => {
          const { driver: sub, sessionIds } = session.pick(data.drivers);
          return { identity: driver(sub), variables: { id: session.pick(sessionIds) } };
        },
        key,
      ),
    },
    {
      kind: 'read',
      name: 'operator-payments',
      description: `operator(id) { payments(first: 5–20) }, each request an admin of a random one of ${data.paymentOperatorIds.length} operators reading their operator's payments (operator admin tokens; operator, payment subgraphs)`,
      bestCase: false,
      subgraphs: ['operator', 'payment'],
      query: OPERATOR_PAYMENTS,
      requests: sequence(
        VARIED_REQUESTS,
        () => {
          const operatorId = payments.pick(data.paymentOperatorIds);
          return {
            identity: { role: Role.OPERATOR_ADMIN, sub: `bench-operator-admin-${operatorId}`, operatorId },
            variables: { id: operatorId, first: payments.pick([5, 10, 20]) },
          };
        },
        key,
      ),
    },
    {
      kind: 'write',
      name: 'write-mix',
      description:
        'per connection: startChargingSession → recordMeterValue → stopChargingSession → chargeSession (Stripe emulator); one request per step',
      subgraphs: ['session', 'station', 'operator', 'payment'],
      steps: WRITE_STEPS,
    },
  ];
}

const driverOf = (slot: WriteSlot): Identity => ({ role: Role.DRIVER, sub: slot.driver });

export const WRITE_STEPS: WriteStep[] = [
  {
    name: 'start',
    subgraph: 'session',
    identity: driverOf,
    query: `mutation Start($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status energyWh tariff { currency energyPricePerKwh } } }`,
    variables: (slot) => ({ input: { stationId: slot.stationId, connectorId: slot.connectorId } }),
    sessionIdFrom: (data) => (data.startChargingSession as { id: string }).id,
  },
  {
    name: 'meter',
    subgraph: 'session',
    identity: (slot) => ({ role: Role.OPERATOR_ADMIN, sub: 'bench-operator-admin', operatorId: slot.operatorId }),
    query: `mutation Meter($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id status energyWh } }`,
    // Sent right after the start: within what the session subgraph finds plausible that soon (≤ 100 Wh plus power × time).
    variables: (_slot, sessionId) => ({ input: { sessionId, energyWh: 90, measuredAt: new Date().toISOString() } }),
  },
  {
    name: 'stop',
    subgraph: 'session',
    identity: driverOf,
    query: `mutation Stop($id: ID!) { stopChargingSession(id: $id) { id status energyWh cost { total { amount currency } } } }`,
    variables: (_slot, sessionId) => ({ id: sessionId }),
  },
  {
    name: 'charge',
    subgraph: 'payment',
    identity: driverOf,
    query: `mutation Charge($id: ID!) { chargeSession(sessionId: $id) { status amount { amount currency } applicationFee { amount } } }`,
    variables: (_slot, sessionId) => ({ id: sessionId }),
  },
];
