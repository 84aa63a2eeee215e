import { expect } from 'vitest';
import type { TokenClaims } from '../../dev/tokens.js';
import type { SubgraphName } from '../../platform/config.js';
import {
  asIdentity,
  at,
  direct,
  entities,
  gql,
  isEmptyAt,
  isNullAt,
  privateValues,
  probe,
  type Fixtures,
  type HttpResult,
  type Probe,
  type Tenant,
} from './support.js';

/*
 * Cross-tenant and cross-role probes: operator A's admin against operator B's objects, driver A against driver B's,
 * analysts, partners and anonymous callers against private data, through the gateway and straight to each subgraph
 * with a correctly signed identity (`_entities` with crafted representations).
 */

type Who = (f: Fixtures) => TokenClaims | undefined;
const adminA: Who = (f) => f.A.admin;
const driverA: Who = (f) => f.A.driver;
const analyst: Who = (f) => f.analyst;
const partner: Who = (f) => f.partner;
const anonymous: Who = () => undefined;

const B = (f: Fixtures): Tenant => f.B;
const A = (f: Fixtures): Tenant => f.A;

/** Ids of B's private objects: a caller from A must never get them back in an answer. */
const bIds = (f: Fixtures) => [
  f.B.paymentId,
  f.B.heldPaymentId,
  f.B.refundId,
  f.B.paidSessionId,
  f.B.activeSessionId,
  f.B.cardId,
];
const baseForbid = (f: Fixtures) => [...privateValues(f), f.A.driver.sub, f.B.driver.sub];

/** Yesterday to tomorrow as local dates: every fixture session falls inside. */
const analyticsPeriod = () =>
  `{ from: "${new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)}", to: "${new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10)}" }`;
const period = () => ({
  from: new Date(Date.now() - 86_400_000).toISOString(),
  to: new Date(Date.now() + 86_400_000).toISOString(),
});

const ask = (who: Who, query: string, variables?: (f: Fixtures) => Record<string, unknown>) => (f: Fixtures) =>
  gql(f, query, variables?.(f), who(f));
const askDirect =
  (subgraph: SubgraphName, who: Who, query: string, variables?: (f: Fixtures) => Record<string, unknown>) =>
  (f: Fixtures) =>
    direct(f, subgraph, asIdentity(who(f)), query, variables?.(f));
const askEntities =
  (
    subgraph: SubgraphName,
    who: Who,
    representations: (f: Fixtures) => Array<Record<string, unknown>>,
    selection: string,
  ) =>
  (f: Fixtures) =>
    entities(f, subgraph, asIdentity(who(f)), representations(f), selection);

const forbidden = { status: 200, code: 'FORBIDDEN' };
const notFound = { status: 200, code: 'NOT_FOUND' };
const unauthenticated = { status: 200, code: 'UNAUTHENTICATED' };
const badInput = { status: 200, code: 'BAD_USER_INPUT' };
/** Answered without error, but `check` proves nothing of B's is in it. */
const hidden =
  (check: (result: HttpResult, f: Fixtures) => void, extraForbid: (f: Fixtures) => string[] = bIds) =>
  (f: Fixtures) => ({
    status: 200,
    check: (result: HttpResult) => {
      expect(result.body?.errors, result.text).toBeUndefined();
      check(result, f);
    },
    forbid: [...baseForbid(f), ...extraForbid(f)],
  });
const rejected =
  (
    expected: { status: number; code: string },
    extraForbid: (f: Fixtures) => string[] = bIds,
    check?: (result: HttpResult, f: Fixtures) => void,
  ) =>
  (f: Fixtures) => ({
    ...expected,
    check: check && ((result: HttpResult) => check(result, f)),
    forbid: [...baseForbid(f), ...extraForbid(f)],
  });

const SESSION = `query ($id: ID!) { chargingSession(id: $id) { id driverId energyWh cost { total { amount } } } }`;
const SESSION_PAYMENT = `query ($id: ID!) { chargingSession(id: $id) { id payment { id clientSecret receipt { cardLast4 } } } }`;
const SESSIONS = `query ($filter: ChargingSessionFilter) { chargingSessions(filter: $filter, first: 50) { edges { node { id driverId } } } }`;
const STATION_SESSIONS = `query ($id: ID!) { station(id: $id) { name sessions(first: 50) { edges { node { id driverId } } } } }`;
const OPERATOR_ACCOUNT = `query ($id: ID!) { operator(id: $id) { name paymentAccount { id chargesEnabled onboardingStatus feePolicy { basisPoints } } } }`;
const OPERATOR_PAYMENTS = `query ($id: ID!) { operator(id: $id) { name payments(first: 50) { edges { node { id status amount { amount } refunds { id } receipt { cardLast4 } session { id driverId } } } } } }`;
const OPERATOR_REVENUE = `query ($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { operator(id: $id) { name revenue(from: $from, to: $to) { currency gross { amount } } } }`;

/** Every mutation of the API with arguments that would succeed for the right caller, aimed at A's objects. */
export const MUTATIONS: Array<[string, string, (f: Fixtures) => Record<string, unknown>]> = [
  [
    'createOperator',
    `mutation { createOperator(input: { name: "Intruder", country: "DE", defaultCurrency: "EUR", contactEmail: "x@intruder.example" }) { id } }`,
    () => ({}),
  ],
  [
    'updateOperator',
    `mutation ($id: ID!) { updateOperator(id: $id, input: { name: "Hijacked", contactEmail: "x@intruder.example" }) { id } }`,
    (f) => ({ id: A(f).operator.id }),
  ],
  [
    'createStation',
    `mutation ($input: CreateStationInput!) { createStation(input: $input) { id } }`,
    (f) => ({
      input: {
        operatorId: A(f).operator.id,
        name: 'Rogue',
        address: { street: '1 Rogue Road', city: 'Berlin', postalCode: '10115', country: 'DE' },
        location: { latitude: 52.5, longitude: 13.4 },
        timezone: 'Europe/Berlin',
        tariffId: A(f).tariffId,
        connectors: [{ standard: 'CCS2', powerKw: 50 }],
      },
    }),
  ],
  [
    'updateStation',
    `mutation ($id: ID!) { updateStation(id: $id, input: { name: "Hijacked" }) { id } }`,
    (f) => ({ id: A(f).operator.stationId }),
  ],
  [
    'setConnectorStatus',
    `mutation ($input: SetConnectorStatusInput!) { setConnectorStatus(input: $input) { id } }`,
    (f) => ({
      input: { stationId: A(f).operator.stationId, connectorId: A(f).operator.connectorIds[2], status: 'OUT_OF_ORDER' },
    }),
  ],
  [
    'createTariff',
    `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
    (f) => ({
      input: {
        operatorId: A(f).operator.id,
        name: 'Rogue',
        currency: 'EUR',
        energyPricePerKwh: '0.01',
        timePricePerHour: '0',
        sessionFee: 0,
        taxRateBasisPoints: 0,
        preAuthorizationAmount: 100,
      },
    }),
  ],
  [
    'startChargingSession',
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id } }`,
    (f) => ({ input: { stationId: A(f).operator.stationId, connectorId: A(f).operator.connectorIds[2] } }),
  ],
  [
    'recordMeterValue',
    `mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id } }`,
    (f) => ({ input: { sessionId: A(f).activeSessionId, energyWh: 999_000, measuredAt: new Date().toISOString() } }),
  ],
  [
    'stopChargingSession',
    `mutation ($id: ID!) { stopChargingSession(id: $id) { id } }`,
    (f) => ({ id: A(f).activeSessionId }),
  ],
  ['savePaymentMethod', `mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id } }`, () => ({})],
  ['removePaymentMethod', `mutation ($id: ID!) { removePaymentMethod(id: $id) }`, (f) => ({ id: A(f).cardId })],
  [
    'authorizeChargingSession',
    `mutation ($input: AuthorizeChargingSessionInput!) { authorizeChargingSession(input: $input) { id } }`,
    (f) => ({ input: { sessionId: A(f).activeSessionId, paymentMethodId: A(f).cardId } }),
  ],
  [
    'chargeSession',
    `mutation ($id: ID!) { chargeSession(sessionId: $id) { id } }`,
    (f) => ({ id: A(f).paidSessionId }),
  ],
  [
    'refundPayment',
    `mutation ($input: RefundPaymentInput!) { refundPayment(input: $input) { id } }`,
    (f) => ({ input: { paymentId: A(f).paymentId, amount: 1 } }),
  ],
  [
    'startOperatorOnboarding',
    `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url } }`,
    (f) => ({ id: A(f).operator.id }),
  ],
  [
    'setOperatorFeePolicy',
    `mutation ($input: SetOperatorFeePolicyInput!) { setOperatorFeePolicy(input: $input) { feePolicy { basisPoints } } }`,
    (f) => ({ input: { operatorId: A(f).operator.id, basisPoints: 9999 } }),
  ],
];

function operatorAdminAgainstB(): Probe[] {
  const who = adminA;
  return [
    probe(
      "A admin reads B's completed session",
      ask(who, SESSION, (f) => ({ id: B(f).paidSessionId })),
      rejected(notFound),
    ),
    probe(
      "A admin reads B's active session and its payment",
      ask(who, SESSION_PAYMENT, (f) => ({ id: B(f).activeSessionId })),
      rejected(notFound),
    ),
    probe(
      'A admin lists sessions filtered to B',
      ask(who, SESSIONS, (f) => ({ filter: { operatorId: B(f).operator.id } })),
      hidden(isEmptyAt('chargingSessions', 'edges')),
    ),
    probe(
      "A admin lists sessions at B's station",
      ask(who, SESSIONS, (f) => ({ filter: { stationId: B(f).operator.stationId } })),
      hidden(isEmptyAt('chargingSessions', 'edges')),
    ),
    probe(
      "A admin reads Station.sessions of B's station",
      ask(who, STATION_SESSIONS, (f) => ({ id: B(f).operator.stationId })),
      hidden(isEmptyAt('station', 'sessions', 'edges')),
    ),
    probe(
      'A admin reads Operator.stations.sessions of B',
      ask(
        who,
        `query ($id: ID!) { operator(id: $id) { stations { edges { node { sessions { edges { node { id driverId } } } } } } } }`,
        (f) => ({ id: B(f).operator.id }),
      ),
      hidden(isEmptyAt('operator', 'stations', 'edges', 0, 'node', 'sessions', 'edges')),
    ),
    probe(
      "A admin reads B's payment account",
      ask(who, OPERATOR_ACCOUNT, (f) => ({ id: B(f).operator.id })),
      rejected(forbidden, bIds, isNullAt('operator', 'paymentAccount')),
    ),
    probe(
      'A admin reads Operator.payments of B',
      ask(who, OPERATOR_PAYMENTS, (f) => ({ id: B(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      'A admin reads Operator.revenue of B',
      ask(who, OPERATOR_REVENUE, (f) => ({ id: B(f).operator.id, ...period() })),
      rejected(forbidden),
    ),
    probe(
      "A admin reads every operator's payment account",
      ask(who, `{ operators(first: 50) { edges { node { id paymentAccount { id chargesEnabled } } } } }`),
      rejected(forbidden, bIds, (result, f) => {
        const edges = at(result, 'operators', 'edges') as Array<{ node: { id: string; paymentAccount: unknown } }>;
        // Every other operator's account is null, with a FORBIDDEN each; A's own is there.
        for (const { node } of edges) expect(node.paymentAccount === null, node.id).toBe(node.id !== A(f).operator.id);
      }),
    ),
    probe(
      "A admin reads every operator's payments",
      ask(who, `{ operators(first: 50) { edges { node { id payments { edges { node { id } } } } } } }`),
      rejected(forbidden),
    ),
    probe(
      'A admin updates B',
      ask(who, MUTATIONS[1][1], (f) => ({ id: B(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      'A admin suspends or reactivates its own operator',
      ask(who, `mutation ($id: ID!) { updateOperator(id: $id, input: { status: SUSPENDED }) { id } }`, (f) => ({
        id: A(f).operator.id,
      })),
      rejected(forbidden),
    ),
    probe(
      'A admin creates a station for B',
      ask(who, MUTATIONS[2][1], (f) => ({
        input: { ...(MUTATIONS[2][2](f).input as object), operatorId: B(f).operator.id, tariffId: B(f).tariffId },
      })),
      rejected(forbidden),
    ),
    probe(
      "A admin creates a station of its own on B's tariff",
      ask(who, MUTATIONS[2][1], (f) => ({
        input: { ...(MUTATIONS[2][2](f).input as object), tariffId: B(f).tariffId },
      })),
      rejected(badInput),
    ),
    probe(
      "A admin updates B's station",
      ask(who, MUTATIONS[3][1], (f) => ({ id: B(f).operator.stationId })),
      rejected(forbidden),
    ),
    probe(
      "A admin moves its own station to B's tariff",
      ask(who, `mutation ($id: ID!, $t: ID!) { updateStation(id: $id, input: { tariffId: $t }) { id } }`, (f) => ({
        id: A(f).operator.stationId,
        t: B(f).tariffId,
      })),
      rejected(badInput),
    ),
    probe(
      'A admin creates a tariff for B',
      ask(who, MUTATIONS[5][1], (f) => ({
        input: { ...(MUTATIONS[5][2](f).input as object), operatorId: B(f).operator.id },
      })),
      rejected(forbidden),
    ),
    probe(
      "A admin sets the status of B's connector",
      ask(who, MUTATIONS[4][1], (f) => ({
        input: {
          stationId: B(f).operator.stationId,
          connectorId: B(f).operator.connectorIds[0],
          status: 'OUT_OF_ORDER',
        },
      })),
      rejected(forbidden),
    ),
    probe(
      "A admin sets B's connector through its own station",
      ask(who, MUTATIONS[4][1], (f) => ({
        input: {
          stationId: A(f).operator.stationId,
          connectorId: B(f).operator.connectorIds[0],
          status: 'OUT_OF_ORDER',
        },
      })),
      rejected(notFound),
    ),
    probe(
      "A admin records a meter value on B's session",
      ask(who, MUTATIONS[7][1], (f) => ({
        input: { sessionId: B(f).activeSessionId, energyWh: 999_000, measuredAt: new Date().toISOString() },
      })),
      rejected(forbidden),
    ),
    probe(
      "A admin stops B's session",
      ask(who, MUTATIONS[8][1], (f) => ({ id: B(f).activeSessionId })),
      rejected(forbidden),
    ),
    probe(
      "A admin charges B's session",
      ask(who, MUTATIONS[12][1], (f) => ({ id: B(f).paidSessionId })),
      rejected(forbidden),
    ),
    probe(
      "A admin refunds B's payment",
      ask(who, MUTATIONS[13][1], (f) => ({ input: { paymentId: B(f).paymentId, amount: 1 } })),
      rejected(forbidden),
    ),
    probe(
      "A admin refunds B's held payment in full",
      ask(who, MUTATIONS[13][1], (f) => ({ input: { paymentId: B(f).heldPaymentId } })),
      rejected(forbidden),
    ),
    probe(
      "A admin starts B's onboarding",
      ask(who, MUTATIONS[14][1], (f) => ({ id: B(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      "A admin sets B's fee policy",
      ask(who, MUTATIONS[15][1], (f) => ({ input: { operatorId: B(f).operator.id, basisPoints: 0 } })),
      rejected(forbidden),
    ),
    probe(
      'A admin sets its own fee policy',
      ask(who, MUTATIONS[15][1], (f) => ({ input: { operatorId: A(f).operator.id, basisPoints: 0 } })),
      rejected(forbidden),
    ),
    probe(
      "A admin places a hold on B's session",
      ask(who, MUTATIONS[11][1], (f) => ({ input: { sessionId: B(f).activeSessionId, paymentMethodId: B(f).cardId } })),
      rejected(forbidden),
    ),
    probe(
      "A admin reads B's station analytics",
      ask(
        who,
        `query ($id: ID!) { station(id: $id) { name energy(period: ${analyticsPeriod()}) { sessionCount } utilisation(period: ${analyticsPeriod()}) { chargingHours } } }`,
        (f) => ({ id: B(f).operator.stationId }),
      ),
      rejected(forbidden, bIds, (result) =>
        expect([at(result, 'station', 'energy'), at(result, 'station', 'utilisation')]).toEqual([null, null]),
      ),
    ),
    probe(
      "A admin reads B's operator analytics (revenue report, payment stats, energy)",
      ask(
        who,
        `query ($id: ID!) { operator(id: $id) { name revenueReport(period: ${analyticsPeriod()}) { currency } paymentStats(period: ${analyticsPeriod()}) { attempts } energy(period: ${analyticsPeriod()}) { sessionCount } } }`,
        (f) => ({ id: B(f).operator.id }),
      ),
      rejected(forbidden, bIds, (result) =>
        expect(['revenueReport', 'paymentStats', 'energy'].map((field) => at(result, 'operator', field))).toEqual([
          null,
          null,
          null,
        ]),
      ),
    ),
    probe('A admin registers an operator', ask(who, MUTATIONS[0][1]), rejected(forbidden)),
    probe('A admin saves a card', ask(who, MUTATIONS[9][1]), rejected(forbidden)),
    probe('A admin reads saved cards', ask(who, `{ myPaymentMethods { id last4 } }`), rejected(forbidden)),
  ];
}

function driverAgainstOtherDriver(): Probe[] {
  const who = driverA;
  return [
    probe(
      "driver A reads driver B's session",
      ask(who, SESSION, (f) => ({ id: B(f).paidSessionId })),
      rejected(notFound),
    ),
    probe(
      "driver A reads driver B's payment through the session",
      ask(who, SESSION_PAYMENT, (f) => ({ id: B(f).activeSessionId })),
      rejected(notFound),
    ),
    probe(
      "driver A lists sessions filtered to B's operator",
      ask(who, SESSIONS, (f) => ({ filter: { operatorId: B(f).operator.id } })),
      hidden(isEmptyAt('chargingSessions', 'edges')),
    ),
    probe(
      'driver A lists sessions: only their own',
      ask(who, `{ chargingSessions(first: 50) { edges { node { id } } } }`),
      (f) => ({
        ...hidden(() => {})(f),
        forbid: [...privateValues(f), f.B.driver.sub, ...bIds(f)],
        check: (result: HttpResult) => {
          const ids = (at(result, 'chargingSessions', 'edges') as Array<{ node: { id: string } }>)
            .map((e) => e.node.id)
            .sort();
          expect(ids).toEqual([A(f).paidSessionId, A(f).activeSessionId].sort());
        },
      }),
    ),
    probe(
      'driver A reads Station.sessions at B',
      ask(who, STATION_SESSIONS, (f) => ({ id: B(f).operator.stationId })),
      hidden(isEmptyAt('station', 'sessions', 'edges')),
    ),
    probe(
      'driver A reads Operator.payments of B',
      ask(who, OPERATOR_PAYMENTS, (f) => ({ id: B(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      'driver A reads Operator.payments where they paid',
      ask(who, OPERATOR_PAYMENTS, (f) => ({ id: A(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      "driver A reads B's payment account",
      ask(who, OPERATOR_ACCOUNT, (f) => ({ id: B(f).operator.id })),
      rejected(forbidden, bIds, isNullAt('operator', 'paymentAccount')),
    ),
    probe(
      "driver A stops driver B's session",
      ask(who, MUTATIONS[8][1], (f) => ({ id: B(f).activeSessionId })),
      rejected(notFound),
    ),
    probe(
      'driver A records a meter value on their own session',
      ask(who, MUTATIONS[7][1], (f) => ({
        input: { sessionId: A(f).activeSessionId, energyWh: 1, measuredAt: new Date().toISOString() },
      })),
      rejected(forbidden),
    ),
    probe(
      "driver A places a hold on driver B's session",
      ask(who, MUTATIONS[11][1], (f) => ({ input: { sessionId: B(f).activeSessionId, paymentMethodId: A(f).cardId } })),
      rejected(forbidden),
    ),
    probe(
      "driver A pays their session with driver B's card",
      ask(who, MUTATIONS[11][1], (f) => ({ input: { sessionId: A(f).activeSessionId, paymentMethodId: B(f).cardId } })),
      rejected(notFound),
    ),
    probe(
      "driver A charges driver B's session",
      ask(who, MUTATIONS[12][1], (f) => ({ id: B(f).paidSessionId })),
      rejected(forbidden),
    ),
    probe(
      'driver A refunds their own payment',
      ask(who, MUTATIONS[13][1], (f) => ({ input: { paymentId: A(f).paymentId, amount: 1 } })),
      rejected(forbidden),
    ),
    probe(
      "driver A refunds driver B's payment",
      ask(who, MUTATIONS[13][1], (f) => ({ input: { paymentId: B(f).paymentId, amount: 1 } })),
      rejected(forbidden),
    ),
    probe(
      "driver A removes driver B's card",
      ask(who, MUTATIONS[10][1], (f) => ({ id: B(f).cardId })),
      rejected(notFound),
    ),
    probe('driver A lists saved cards: only their own', ask(who, `{ myPaymentMethods { id brand last4 } }`), (f) => ({
      ...hidden(() => {})(f),
      check: (result: HttpResult) =>
        expect((at(result, 'myPaymentMethods') as Array<{ id: string }>).map((c) => c.id)).toEqual([A(f).cardId]),
    })),
    probe(
      'driver A reads operator analytics',
      ask(
        who,
        `query ($id: ID!) { operator(id: $id) { name paymentStats(period: ${analyticsPeriod()}) { attempts } energy(period: ${analyticsPeriod()}) { sessionCount } } }`,
        (f) => ({ id: A(f).operator.id }),
      ),
      rejected(forbidden, bIds, (result) =>
        expect([at(result, 'operator', 'paymentStats'), at(result, 'operator', 'energy')]).toEqual([null, null]),
      ),
    ),
    probe(
      'driver A starts onboarding for an operator',
      ask(who, MUTATIONS[14][1], (f) => ({ id: A(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      'driver A updates the operator they charge at',
      ask(who, MUTATIONS[1][1], (f) => ({ id: A(f).operator.id })),
      rejected(forbidden),
    ),
  ];
}

function entityProbes(): Probe[] {
  const session =
    (id: (f: Fixtures) => string, extra: Record<string, unknown> = {}) =>
    (f: Fixtures) => [{ __typename: 'ChargingSession', id: id(f), ...extra }];
  const payment =
    (id: (f: Fixtures) => string, extra: (f: Fixtures) => Record<string, unknown> = () => ({})) =>
    (f: Fixtures) => [{ __typename: 'Payment', id: id(f), ...extra(f) }];
  const operator = (id: (f: Fixtures) => string) => (f: Fixtures) => [{ __typename: 'Operator', id: id(f) }];
  const station = (id: (f: Fixtures) => string) => (f: Fixtures) => [{ __typename: 'Station', id: id(f) }];
  const SESSION_FIELDS = '... on ChargingSession { id driverId energyWh cost { total { amount } } }';
  const PAYMENT_FIELDS =
    '... on Payment { id status amount { amount } clientSecret receipt { cardLast4 } refunds { id } }';
  const SESSION_PAYMENT_FIELDS =
    '... on ChargingSession { id payment { id status clientSecret receipt { cardLast4 } } }';
  const STATION_FIELDS = '... on Station { id sessions(first: 50) { edges { node { id driverId } } } }';
  const ACCOUNT = '... on Operator { id paymentAccount { id chargesEnabled } }';
  const PAYMENTS = '... on Operator { id payments { edges { node { id } } } }';
  const REVENUE = `... on Operator { id revenue(from: "2000-01-01T00:00:00Z", to: "2000-12-01T00:00:00Z") { currency } }`;
  const entitiesNull = isNullAt('_entities', 0);

  return [
    // operator A's admin, signed correctly, straight to the subgraphs
    probe(
      "_entities: A admin resolves B's session (session subgraph)",
      askEntities(
        'session',
        adminA,
        session((f) => B(f).paidSessionId),
        SESSION_FIELDS,
      ),
      hidden(entitiesNull),
    ),
    probe(
      "_entities: A admin resolves B's session with a forged operatorId in the representation",
      askEntities(
        'session',
        adminA,
        (f) => session(() => B(f).activeSessionId, { operatorId: A(f).operator.id, driverId: A(f).driver.sub })(f),
        SESSION_FIELDS,
      ),
      hidden(entitiesNull),
    ),
    probe(
      '_entities: A admin resolves Station.sessions of B (session subgraph)',
      askEntities(
        'session',
        adminA,
        station((f) => B(f).operator.stationId),
        STATION_FIELDS,
      ),
      hidden(isEmptyAt('_entities', 0, 'sessions', 'edges')),
    ),
    probe(
      "_entities: A admin resolves B's payment (payment subgraph)",
      askEntities(
        'payment',
        adminA,
        payment((f) => B(f).paymentId),
        PAYMENT_FIELDS,
      ),
      rejected(forbidden, bIds, entitiesNull),
    ),
    probe(
      "_entities: A admin resolves B's payment with a forged operatorId in the representation",
      askEntities(
        'payment',
        adminA,
        payment(
          (f) => B(f).heldPaymentId,
          (f) => ({ operatorId: A(f).operator.id, driverId: A(f).driver.sub }),
        ),
        PAYMENT_FIELDS,
      ),
      rejected(forbidden, bIds, entitiesNull),
    ),
    probe(
      '_entities: A admin resolves ChargingSession.payment of B (payment subgraph)',
      askEntities(
        'payment',
        adminA,
        session((f) => B(f).paidSessionId),
        SESSION_PAYMENT_FIELDS,
      ),
      hidden(isNullAt('_entities', 0, 'payment')),
    ),
    probe(
      "_entities: A admin resolves B's payment account",
      askEntities(
        'payment',
        adminA,
        operator((f) => B(f).operator.id),
        ACCOUNT,
      ),
      rejected(forbidden),
    ),
    probe(
      "_entities: A admin resolves B's payments",
      askEntities(
        'payment',
        adminA,
        operator((f) => B(f).operator.id),
        PAYMENTS,
      ),
      rejected(forbidden),
    ),
    probe(
      "_entities: A admin resolves B's revenue",
      askEntities(
        'payment',
        adminA,
        operator((f) => B(f).operator.id),
        REVENUE,
      ),
      rejected(forbidden),
    ),
    probe(
      "_entities: A admin resolves A's and B's payment accounts in one call",
      askEntities(
        'payment',
        adminA,
        (f) => [...operator(() => A(f).operator.id)(f), ...operator(() => B(f).operator.id)(f)],
        ACCOUNT,
      ),
      rejected(forbidden, bIds, isNullAt('_entities', 1, 'paymentAccount')),
    ),
    probe(
      "direct: A admin asks the session subgraph for B's sessions",
      askDirect('session', adminA, SESSIONS, (f) => ({ filter: { operatorId: B(f).operator.id } })),
      hidden(isEmptyAt('chargingSessions', 'edges')),
    ),
    probe(
      "direct: A admin refunds B's payment at the payment subgraph",
      askDirect('payment', adminA, MUTATIONS[13][1], (f) => ({ input: { paymentId: B(f).paymentId, amount: 1 } })),
      rejected(forbidden),
    ),
    probe(
      'direct: A admin updates B at the operator subgraph',
      askDirect('operator', adminA, MUTATIONS[1][1], (f) => ({ id: B(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      "direct: A admin updates B's station at the station subgraph",
      askDirect('station', adminA, MUTATIONS[3][1], (f) => ({ id: B(f).operator.stationId })),
      rejected(forbidden),
    ),
    // `@requires` fields arrive in the representation: they are hints for computing, never facts to authorize on.
    probe(
      "_entities: A admin reads B's station energy, claiming A as its operator (forged @requires field)",
      askEntities(
        'session',
        adminA,
        (f) => [{ __typename: 'Station', id: B(f).operator.stationId, operator: { id: A(f).operator.id } }],
        `... on Station { energy(period: ${analyticsPeriod()}) { sessionCount energyKwh } }`,
      ),
      hidden((result) => expect(at(result, '_entities', 0, 'energy')).toEqual([{ sessionCount: 0, energyKwh: 0 }])),
    ),
    probe(
      "_entities: A admin reads B's station utilisation, claiming A as its operator (forged @requires field)",
      askEntities(
        'session',
        adminA,
        (f) => [
          {
            __typename: 'Station',
            id: B(f).operator.stationId,
            operator: { id: A(f).operator.id },
            timezone: 'UTC',
            connectorCount: 3,
          },
        ],
        `... on Station { utilisation(period: ${analyticsPeriod()}) { chargingHours } }`,
      ),
      hidden((result) => expect(at(result, '_entities', 0, 'utilisation', 'chargingHours')).toBe(0)),
    ),
    // driver A
    probe(
      "_entities: driver A resolves driver B's session",
      askEntities(
        'session',
        driverA,
        session((f) => B(f).paidSessionId),
        SESSION_FIELDS,
      ),
      hidden(entitiesNull),
    ),
    probe(
      "_entities: driver A resolves driver B's payment",
      askEntities(
        'payment',
        driverA,
        payment((f) => B(f).paymentId),
        PAYMENT_FIELDS,
      ),
      rejected(forbidden, bIds, entitiesNull),
    ),
    probe(
      '_entities: driver A resolves ChargingSession.payment of driver B',
      askEntities(
        'payment',
        driverA,
        session((f) => B(f).activeSessionId),
        SESSION_PAYMENT_FIELDS,
      ),
      hidden(isNullAt('_entities', 0, 'payment')),
    ),
    probe(
      '_entities: driver A resolves Station.sessions at B',
      askEntities(
        'session',
        driverA,
        station((f) => B(f).operator.stationId),
        STATION_FIELDS,
      ),
      hidden(isEmptyAt('_entities', 0, 'sessions', 'edges')),
    ),
    probe(
      '_entities: driver A resolves the payments of their operator',
      askEntities(
        'payment',
        driverA,
        operator((f) => A(f).operator.id),
        PAYMENTS,
      ),
      rejected(forbidden),
    ),
    // analyst: read-only aggregates, no personal data
    probe(
      '_entities: analyst resolves a payment',
      askEntities(
        'payment',
        analyst,
        payment((f) => A(f).paymentId),
        PAYMENT_FIELDS,
      ),
      rejected(forbidden, bIds, entitiesNull),
    ),
    probe(
      '_entities: analyst resolves a payment account',
      askEntities(
        'payment',
        analyst,
        operator((f) => A(f).operator.id),
        ACCOUNT,
      ),
      rejected(forbidden),
    ),
    probe(
      '_entities: analyst resolves ChargingSession.payment',
      askEntities(
        'payment',
        analyst,
        session((f) => A(f).paidSessionId),
        SESSION_PAYMENT_FIELDS,
      ),
      hidden(isNullAt('_entities', 0, 'payment')),
    ),
    probe(
      '_entities: analyst resolves a session: the driver id is a pseudonym',
      askEntities(
        'session',
        analyst,
        session((f) => A(f).paidSessionId),
        SESSION_FIELDS,
      ),
      hidden((result) => expect(at(result, '_entities', 0, 'driverId')).toMatch(PSEUDONYM)),
    ),
    // partner and anonymous: the public catalogue only
    probe(
      '_entities: partner resolves a session',
      askEntities(
        'session',
        partner,
        session((f) => A(f).paidSessionId),
        SESSION_FIELDS,
      ),
      rejected(forbidden, bIds, entitiesNull),
    ),
    probe(
      '_entities: partner resolves Station.sessions',
      askEntities(
        'session',
        partner,
        station((f) => A(f).operator.stationId),
        STATION_FIELDS,
      ),
      rejected(forbidden),
    ),
    probe(
      '_entities: partner resolves a payment',
      askEntities(
        'payment',
        partner,
        payment((f) => A(f).paymentId),
        PAYMENT_FIELDS,
      ),
      rejected(forbidden, bIds, entitiesNull),
    ),
    probe(
      '_entities: partner resolves a payment account',
      askEntities(
        'payment',
        partner,
        operator((f) => A(f).operator.id),
        ACCOUNT,
      ),
      rejected(forbidden),
    ),
    probe(
      '_entities: anonymous resolves a session',
      askEntities(
        'session',
        anonymous,
        session((f) => A(f).paidSessionId),
        SESSION_FIELDS,
      ),
      rejected(unauthenticated, bIds, entitiesNull),
    ),
    probe(
      '_entities: anonymous resolves a payment',
      askEntities(
        'payment',
        anonymous,
        payment((f) => A(f).paymentId),
        PAYMENT_FIELDS,
      ),
      rejected(unauthenticated, bIds, entitiesNull),
    ),
    probe(
      '_entities: anonymous resolves a payment account',
      askEntities(
        'payment',
        anonymous,
        operator((f) => A(f).operator.id),
        ACCOUNT,
      ),
      rejected(unauthenticated),
    ),
    probe(
      '_entities: anonymous resolves ChargingSession.payment',
      askEntities(
        'payment',
        anonymous,
        session((f) => A(f).paidSessionId),
        SESSION_PAYMENT_FIELDS,
      ),
      hidden(isNullAt('_entities', 0, 'payment')),
    ),
  ];
}

/** Analysts read aggregates and the catalogue; sessions only with pseudonymous driver ids; nothing private; no changes. */
export const PSEUDONYM = /^drv_[0-9a-f]{32}$/;

function analystProbes(): Probe[] {
  const pseudonymsOnly =
    (...path: Array<string | number>) =>
    (result: HttpResult) => {
      const edges = at(result, ...path) as Array<{ node: { driverId: string } }>;
      expect(edges.length).toBeGreaterThan(0);
      for (const edge of edges) expect(edge.node.driverId).toMatch(PSEUDONYM);
    };
  return [
    probe(
      'analyst lists sessions: driver ids are pseudonyms',
      ask(analyst, SESSIONS),
      hidden(pseudonymsOnly('chargingSessions', 'edges'), () => []),
    ),
    probe(
      'analyst reads Station.sessions: driver ids are pseudonyms',
      ask(analyst, STATION_SESSIONS, (f) => ({ id: A(f).operator.stationId })),
      hidden(pseudonymsOnly('station', 'sessions', 'edges'), () => []),
    ),
    probe(
      'analyst reads a session: pseudonym, no payment',
      ask(analyst, `query ($id: ID!) { chargingSession(id: $id) { driverId payment { id } } }`, (f) => ({
        id: A(f).paidSessionId,
      })),
      hidden(
        (result) => {
          expect(at(result, 'chargingSession', 'driverId')).toMatch(PSEUDONYM);
          expect(at(result, 'chargingSession', 'payment')).toBeNull();
        },
        () => [],
      ),
    ),
    probe(
      'analyst reads a payment account',
      ask(analyst, OPERATOR_ACCOUNT, (f) => ({ id: A(f).operator.id })),
      rejected(forbidden, bIds, isNullAt('operator', 'paymentAccount')),
    ),
    probe(
      "analyst reads an operator's payments",
      ask(analyst, OPERATOR_PAYMENTS, (f) => ({ id: A(f).operator.id })),
      rejected(forbidden),
    ),
    probe('analyst reads saved cards', ask(analyst, `{ myPaymentMethods { id } }`), rejected(forbidden)),
    ...MUTATIONS.map(([name, query, variables]) =>
      probe(`analyst calls ${name}`, ask(analyst, query, variables), rejected(forbidden)),
    ),
  ];
}

function partnerProbes(): Probe[] {
  return [
    probe('partner lists sessions', ask(partner, SESSIONS), rejected(forbidden)),
    probe(
      'partner reads a session',
      ask(partner, SESSION, (f) => ({ id: A(f).paidSessionId })),
      rejected(forbidden),
    ),
    probe(
      'partner reads Station.sessions',
      ask(partner, STATION_SESSIONS, (f) => ({ id: A(f).operator.stationId })),
      rejected(forbidden, bIds, isNullAt('station', 'sessions')),
    ),
    probe(
      'partner reads a payment account',
      ask(partner, OPERATOR_ACCOUNT, (f) => ({ id: A(f).operator.id })),
      rejected(forbidden, bIds, isNullAt('operator', 'paymentAccount')),
    ),
    probe(
      "partner reads an operator's payments",
      ask(partner, OPERATOR_PAYMENTS, (f) => ({ id: A(f).operator.id })),
      rejected(forbidden),
    ),
    probe(
      "partner reads an operator's revenue",
      ask(partner, OPERATOR_REVENUE, (f) => ({ id: A(f).operator.id, ...period() })),
      rejected(forbidden),
    ),
    probe('partner reads saved cards', ask(partner, `{ myPaymentMethods { id } }`), rejected(forbidden)),
    probe(
      'partner reads station analytics',
      ask(
        partner,
        `query ($id: ID!) { station(id: $id) { name utilisation(period: ${analyticsPeriod()}) { chargingHours } } }`,
        (f) => ({ id: A(f).operator.stationId }),
      ),
      rejected(forbidden, bIds, isNullAt('station', 'utilisation')),
    ),
    ...MUTATIONS.map(([name, query, variables]) =>
      probe(`partner calls ${name}`, ask(partner, query, variables), rejected(forbidden)),
    ),
  ];
}

function anonymousProbes(): Probe[] {
  return [
    probe('anonymous lists sessions', ask(anonymous, SESSIONS), rejected(unauthenticated)),
    probe(
      'anonymous reads a session',
      ask(anonymous, SESSION, (f) => ({ id: A(f).paidSessionId })),
      rejected(unauthenticated),
    ),
    probe(
      'anonymous reads Station.sessions',
      ask(anonymous, STATION_SESSIONS, (f) => ({ id: A(f).operator.stationId })),
      rejected(unauthenticated, bIds, isNullAt('station', 'sessions')),
    ),
    probe(
      'anonymous reads a payment account',
      ask(anonymous, OPERATOR_ACCOUNT, (f) => ({ id: A(f).operator.id })),
      rejected(unauthenticated, bIds, isNullAt('operator', 'paymentAccount')),
    ),
    probe(
      "anonymous reads an operator's payments",
      ask(anonymous, OPERATOR_PAYMENTS, (f) => ({ id: A(f).operator.id })),
      rejected(unauthenticated),
    ),
    probe(
      "anonymous reads an operator's revenue",
      ask(anonymous, OPERATOR_REVENUE, (f) => ({ id: A(f).operator.id, ...period() })),
      rejected(unauthenticated),
    ),
    probe('anonymous reads saved cards', ask(anonymous, `{ myPaymentMethods { id } }`), rejected(unauthenticated)),
    probe(
      'anonymous reads operator analytics',
      ask(
        anonymous,
        `query ($id: ID!) { operator(id: $id) { name revenueReport(period: ${analyticsPeriod()}) { currency } } }`,
        (f) => ({ id: A(f).operator.id }),
      ),
      rejected(unauthenticated, bIds, isNullAt('operator', 'revenueReport')),
    ),
    ...MUTATIONS.map(([name, query, variables]) =>
      probe(`anonymous calls ${name}`, ask(anonymous, query, variables), rejected(unauthenticated)),
    ),
  ];
}

export const crossTenantProbes = (): Record<string, Probe[]> => ({
  'operator A admin against operator B': operatorAdminAgainstB(),
  'driver A against driver B': driverAgainstOtherDriver(),
  '_entities and direct calls with a correctly signed identity': entityProbes(),
  'analyst: aggregates and catalogue, pseudonymous sessions, read-only': analystProbes(),
  'partner: public catalogue only': partnerProbes(),
  'anonymous: public catalogue only': anonymousProbes(),
});
