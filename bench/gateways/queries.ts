/**
 * The workload: three reads and a write mix, the same text for every target. A read is one operation; the write
 * mix is a chain per connection (start → meter → stop → charge), each step a mutation owned by one subgraph.
 */
import type { SubgraphName } from '../../platform/config.js';
import { Role, type Identity } from '../../platform/identity.js';
import type { BenchData, WriteSlot } from './seed.js';

export interface ReadQuery {
  kind: 'read';
  name: string;
  description: string;
  subgraphs: SubgraphName[];
  /** The subgraph that answers it alone, when it is a single-subgraph query (then `direct` measures it too). */
  direct?: SubgraphName;
  /** Who asks (anonymous for the public catalogue). */
  identity: Identity;
  query: string;
  variables: Record<string, unknown>;
}

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

export function workloads(data: BenchData): Workload[] {
  return [
    {
      kind: 'read',
      name: 'catalogue',
      description: 'stations(first: 20) → operator, tariff, connectors (anonymous, station + operator subgraphs)',
      subgraphs: ['station', 'operator'],
      identity: {},
      query: CATALOGUE,
      variables: { first: 20 },
    },
    {
      kind: 'read',
      name: 'history',
      description: `a driver's ${data.historySessions} sessions with station → operator and payment (driver token; session, station, operator, payment subgraphs)`,
      subgraphs: ['session', 'station', 'operator', 'payment'],
      identity: { role: Role.DRIVER, sub: data.historyDriver },
      query: HISTORY,
      variables: { first: 20 },
    },
    {
      kind: 'read',
      name: 'lookup',
      description: 'station(id) with address, connectors, tariff (anonymous, station subgraph only)',
      subgraphs: ['station'],
      direct: 'station',
      identity: {},
      query: LOOKUP,
      variables: { id: data.lookupStationId },
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
