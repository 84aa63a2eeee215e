import type { GraphQLCall } from './seed.js';

export interface DemoCallers {
  driver: GraphQLCall;
  operatorAdmin: GraphQLCall;
}

export interface DemoJourney {
  sessionId: string;
  stationName: string;
  energyWh: number;
  holdAmount: number;
  payment: {
    id: string;
    status: string;
    amount: { amount: number; currency: string };
    applicationFee: { amount: number };
  };
}

/**
 * A driver's whole journey through the public API: save a card, start at a free connector of the operator,
 * hold on the operator's account, meter values from the operator, stop, and the targeted charge.
 */
export async function runDemoJourney({ driver, operatorAdmin }: DemoCallers, operatorId: string): Promise<DemoJourney> {
  const { savePaymentMethod } = await driver<{ savePaymentMethod: { id: string } }>(
    `mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id brand last4 } }`,
    {},
  );
  const { stations } = await driver<{
    stations: {
      edges: Array<{ node: { id: string; name: string; connectors: Array<{ id: string; status: string }> } }>;
    };
  }>(
    `query ($operatorId: ID!) { stations(filter: { operatorId: $operatorId, availableOnly: true }, first: 10) { edges { node { id name connectors { id status } } } } }`,
    { operatorId },
  );
  const station = stations.edges[0].node;
  const connector = station.connectors.find((c) => c.status === 'AVAILABLE')!;

  const { startChargingSession: session } = await driver<{ startChargingSession: { id: string } }>(
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id } }`,
    { input: { stationId: station.id, connectorId: connector.id } },
  );
  const { authorizeChargingSession: hold } = await driver<{
    authorizeChargingSession: { authorizedAmount: { amount: number } };
  }>(
    `mutation ($input: AuthorizeChargingSessionInput!) { authorizeChargingSession(input: $input) { status authorizedAmount { amount currency } } }`,
    { input: { sessionId: session.id, paymentMethodId: savePaymentMethod.id } },
  );
  const energyWh = 18_500;
  await operatorAdmin(`mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { energyWh } }`, {
    input: { sessionId: session.id, energyWh, measuredAt: new Date().toISOString() },
  });
  await driver(`mutation ($id: ID!) { stopChargingSession(id: $id) { status } }`, { id: session.id });
  const { chargeSession: payment } = await driver<{ chargeSession: DemoJourney['payment'] }>(
    `mutation ($id: ID!) { chargeSession(sessionId: $id) { id status amount { amount currency } applicationFee { amount } } }`,
    { id: session.id },
  );
  return {
    sessionId: session.id,
    stationName: station.name,
    energyWh,
    holdAmount: hold.authorizedAmount.amount,
    payment,
  };
}
