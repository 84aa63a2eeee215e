import type { ChargerFleet } from './charger/fleet.js';
import type { GraphQLCall } from './seed.js';

export interface DemoJourney {
  sessionId: string;
  stationName: string;
  chargePointId: string;
  protocol: string;
  energyWh: number;
  holdAmount: number;
  payment: {
    id: string;
    status: string;
    amount: { amount: number; currency: string };
    applicationFee: { amount: number };
  };
}

/** The journey could not run for a reason that is no fault (e.g. every connector busy): said, not failed. */
export class JourneySkipped extends Error {}

export interface JourneyOptions {
  /** Meter values to wait for while charging. */
  meterValues?: number;
  /** Longest wait for any one step (the charger's start, ACTIVE, the payment…). */
  stepTimeoutMs?: number;
}

interface SessionState {
  id: string;
  status: string;
  energyWh: number;
  payment: {
    id: string;
    status: string;
    failureMessage: string | null;
    amount: { amount: number; currency: string } | null;
    authorizedAmount: { amount: number } | null;
    applicationFee: { amount: number } | null;
  } | null;
}

const SESSION = `query ($id: ID!) { chargingSession(id: $id) { id status energyWh
  payment { id status failureMessage amount { amount currency } authorizedAmount { amount } applicationFee { amount } } } }`;

/**
 * A driver's whole journey through the public API and a simulated charger: save a card, start at a free connector
 * of the operator (the platform places the hold and sends the remote start), the charger confirms and meters, the
 * driver stops in the app, the charger ends the transaction and the platform captures — no `chargeSession` call.
 */
export async function runDemoJourney(
  driverCall: GraphQLCall,
  operatorId: string,
  fleet: ChargerFleet,
  { meterValues = 3, stepTimeoutMs = 20_000 }: JourneyOptions = {},
): Promise<DemoJourney> {
  // Errors say which step failed: "startChargingSession: …".
  // Reads are retried when a subgraph did not answer (a reset keep-alive socket); writes are not.
  const driver: GraphQLCall = async <T>(query: string, variables: Record<string, unknown>) => {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await driverCall<T>(query, variables);
        } catch (error) {
          const transient = error instanceof Error && /UPSTREAM_UNAVAILABLE|SERVICE_UNAVAILABLE/.test(error.message);
          if (!transient || attempt >= 3 || /^\s*mutation\s*\(/.test(query)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
        }
      }
    } catch (error) {
      const step = /\{\s*(\w+)/.exec(query)?.[1] ?? 'call';
      throw new Error(`${step}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  };
  const { savePaymentMethod } = await driver<{ savePaymentMethod: { id: string } }>(
    `mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id brand last4 } }`,
    {},
  );
  const { stations } = await driver<{
    stations: {
      edges: Array<{
        node: { id: string; name: string; connectors: Array<{ id: string; status: string; ocppConnectorId: number }> };
      }>;
    };
  }>(
    `query ($operatorId: ID!) { stations(filter: { operatorId: $operatorId, availableOnly: true }, first: 20) { edges { node { id name connectors { id status ocppConnectorId } } } } }`,
    { operatorId },
  );
  // Free in the catalogue (no platform session on it, charger says Available) and free at our own charger.
  const pick = stations.edges
    .map(({ node }) => ({ station: node, simulated: fleet.byStation(node.id) }))
    .filter(({ simulated }) => simulated?.charger.connected)
    .flatMap(({ station, simulated }) =>
      station.connectors
        .filter((c) => c.status === 'AVAILABLE' && simulated!.charger.status(c.ocppConnectorId) === 'Available')
        .map((connector) => ({ station, connector, simulated: simulated! })),
    )[0];
  if (!pick)
    throw new JourneySkipped(
      `no free connector with a connected charger at the operator's stations (${stations.edges.length} listed with an AVAILABLE connector)`,
    );
  const { station, connector, simulated } = pick;
  const { charger } = simulated;
  const ocppConnector = connector.ocppConnectorId;

  const started = charger.waitFor('transactionStarted', (t) => t.connector === ocppConnector, stepTimeoutMs);
  started.catch(() => undefined); // awaited below; an early failure of the start must not become unhandled
  const { startChargingSession: session } = await driver<{ startChargingSession: { id: string; status: string } }>(
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status } }`,
    { input: { stationId: station.id, connectorId: connector.id, paymentMethodId: savePaymentMethod.id } },
  );
  const transaction = await started;
  await waitForSession(driver, session.id, 'ACTIVE', (s) => s.status === 'ACTIVE', stepTimeoutMs);
  for (let i = 0; i < meterValues; i++)
    await charger.waitFor('meterValues', (m) => m.transactionId === transaction.transactionId, stepTimeoutMs);
  await waitForSession(driver, session.id, 'energy from the meter values', (s) => s.energyWh > 0, stepTimeoutMs);

  const stopped = charger.waitFor(
    'transactionStopped',
    (t) => t.transactionId === transaction.transactionId,
    stepTimeoutMs,
  );
  stopped.catch(() => undefined);
  await driver(`mutation ($id: ID!) { stopChargingSession(id: $id) { id status } }`, { id: session.id });
  await stopped;
  const final = await waitForSession(
    driver,
    session.id,
    'payment SUCCEEDED',
    (s) => s.status === 'COMPLETED' && s.payment?.status === 'SUCCEEDED',
    stepTimeoutMs,
  );
  const payment = final.payment!;
  return {
    sessionId: session.id,
    stationName: station.name,
    chargePointId: charger.chargePointId,
    protocol: charger.protocol,
    energyWh: final.energyWh,
    holdAmount: payment.authorizedAmount?.amount ?? 0,
    payment: {
      id: payment.id,
      status: payment.status,
      amount: payment.amount!,
      applicationFee: payment.applicationFee ?? { amount: 0 },
    },
  };
}

/** Polls the session until `done`; stops early, saying so, when it can no longer get there. */
async function waitForSession(
  driver: GraphQLCall,
  id: string,
  what: string,
  done: (session: SessionState) => boolean,
  timeoutMs: number,
): Promise<SessionState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { chargingSession: session } = await driver<{ chargingSession: SessionState }>(SESSION, { id });
    if (done(session)) return session;
    const payment = session.payment;
    if (['FAILED', 'CANCELLED'].includes(session.status) || payment?.status === 'FAILED')
      throw new Error(
        `session ${id} is ${session.status}${payment ? `, payment ${payment.status}${payment.failureMessage ? ` (${payment.failureMessage})` : ''}` : ''}, waiting for ${what}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `session ${id} still ${session.status}${payment ? ` (payment ${payment.status})` : ''} after ${timeoutMs / 1000} s, waiting for ${what}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
