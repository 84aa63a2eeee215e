import Stripe from 'stripe';
import { expect } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../dev/stripe-emulator/index.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { databaseUrl } from '../../platform/database-admin.js';
import { Role } from '../../platform/identity.js';
import { backdateSession } from '../support/backdate.js';
import { startTestStack, type GraphQLResponse, type TestStack } from '../support/stack.js';

/*
 * The whole platform over HTTP through the gateway, on real PostgreSQL, with the payment subgraph talking to a real
 * Stripe emulator through the unchanged SDK, and the emulator delivering signed webhooks to the payment subgraph.
 */

export const platformAdmin: TokenClaims = { role: Role.PLATFORM_ADMIN, sub: 'e2e-admin' };
export const adminOf = (operatorId: string): TokenClaims => ({
  role: Role.OPERATOR_ADMIN,
  sub: `admin-${operatorId.slice(-6)}`,
  operatorId,
});
let drivers = 0;
export const newDriver = (): TokenClaims => ({ role: Role.DRIVER, sub: `e2e-driver-${++drivers}-${process.pid}` });

export interface PaymentStack {
  stack: TestStack;
  emulator: StripeEmulator;
  /** SDK client on the emulator, for inspecting what the provider holds. */
  stripe: Stripe;
  webhookUrl: string;
  destroy(): Promise<void>;
}

/** The whole platform with the payment subgraph pointed at a Stripe emulator of its own (plus extra environment). */
export async function startPaymentStack(overrides: Record<string, string> = {}): Promise<PaymentStack> {
  const emulator = await startStripeEmulator({ port: 0 });
  const stripeEnv: Record<string, string> = {
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_API_HOST: emulator.clientOptions.host,
    STRIPE_API_PORT: String(emulator.clientOptions.port),
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_TIMEOUT_MS: '800',
    SWEEPER_CRON: 'off',
    ...overrides,
  };
  let stack: TestStack;
  try {
    stack = await startTestStack(stripeEnv);
  } catch (error) {
    await emulator.close();
    throw error;
  }
  const payment = stack.subgraphs.payment;
  if (!payment) throw new Error('the payment subgraph is not registered in subgraphs/index.ts');
  const webhookUrl = new URL('/webhooks/stripe', payment.url).toString();
  emulator.setWebhookUrl(webhookUrl);
  return {
    stack,
    emulator,
    stripe: new Stripe('sk_test_emulator', emulator.clientOptions),
    webhookUrl,
    async destroy() {
      emulator.setWebhookUrl(undefined);
      await stack.destroy();
      await emulator.close();
    },
  };
}

export function ok<T>(response: GraphQLResponse<T>): T {
  expect(response.errors).toBeUndefined();
  if (!response.data) throw new Error('no data');
  return response.data;
}

/** The error code clients switch on (`extensions.code`). */
export const reasonOf = (response: GraphQLResponse<unknown>) => response.errors?.[0]?.extensions?.code;

export interface Operator {
  id: string;
  account: string;
  stationId: string;
  connectorIds: string[];
  currency: string;
}

interface OperatorOptions {
  country: string;
  currency: string;
  energyPricePerKwh: string;
  preAuthorizationAmount: number;
  onboard?: boolean;
  /** Post-paid: sessions start without a hold and are charged off-session at the end (default: a hold at start). */
  postPaid?: boolean;
  /** The station's connectors (default: two CCS2 at 150 kW and a TYPE2 at 22 kW). */
  connectors?: Array<{ standard: string; powerKw: number }>;
}

const DEFAULT_CONNECTORS = [
  { standard: 'CCS2', powerKw: 150 },
  { standard: 'CCS2', powerKw: 150 },
  { standard: 'TYPE2', powerKw: 22 },
];

/**
 * An operator with a tariff and one station (3 connectors unless told otherwise), onboarded at the provider unless told otherwise, post-paid
 * only when told.
 */
export async function createOperator(p: PaymentStack, name: string, options: OperatorOptions): Promise<Operator> {
  const { stack } = p;
  const { createOperator: operator } = ok(
    await stack.query<{ createOperator: { id: string } }>(
      `mutation ($input: CreateOperatorInput!) { createOperator(input: $input) { id } }`,
      {
        input: {
          name,
          country: options.country,
          defaultCurrency: options.currency,
          contactEmail: `ops@${name.toLowerCase().replaceAll(/\W/g, '')}.example`,
        },
      },
      platformAdmin,
    ),
  );
  if (options.postPaid)
    ok(
      await stack.query(
        `mutation ($id: ID!) { updateOperator(id: $id, input: { postPaid: true }) { id postPaid } }`,
        { id: operator.id },
        platformAdmin,
      ),
    );
  const { createTariff: tariff } = ok(
    await stack.query<{ createTariff: { id: string } }>(
      `mutation ($input: CreateTariffInput!) { createTariff(input: $input) { id } }`,
      {
        input: {
          operatorId: operator.id,
          name: 'standard',
          currency: options.currency,
          energyPricePerKwh: options.energyPricePerKwh,
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: options.preAuthorizationAmount,
        },
      },
      platformAdmin,
    ),
  );
  const { createStation: station } = ok(
    await stack.query<{ createStation: { id: string; connectors: Array<{ id: string }> } }>(
      `mutation ($input: CreateStationInput!) { createStation(input: $input) { id connectors { id } } }`,
      {
        input: {
          operatorId: operator.id,
          name: `${name} Central`,
          address: { street: '1 Main Street', city: 'City', postalCode: '10000', country: options.country },
          location: { latitude: 48.1, longitude: 11.5 },
          timezone: 'Europe/Berlin',
          tariffId: tariff.id,
          connectors: options.connectors ?? DEFAULT_CONNECTORS,
        },
      },
      platformAdmin,
    ),
  );
  ok(
    await stack.query(
      `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url expiresAt } }`,
      { id: operator.id },
      adminOf(operator.id),
    ),
  );
  const account = await providerAccountOf(p, operator.id);
  if (options.onboard !== false) {
    const onboarded = await fetch(`${p.emulator.url}/_emulator/accounts/${account}/onboard`, { method: 'POST' });
    expect(onboarded.status).toBe(200);
    await p.emulator.flushWebhooks();
  }
  return {
    id: operator.id,
    account,
    stationId: station.id,
    connectorIds: station.connectors.map((c) => c.id),
    currency: options.currency,
  };
}

/** Test-only peek at the private provider account id (never in the public schema). */
export async function providerAccountOf(p: PaymentStack, operatorId: string): Promise<string> {
  const rows: Array<{ provider_account_id: string }> = await paymentOrm(p)
    .em.fork()
    .execute('select provider_account_id from operator_payment_account where operator_id = ?', [operatorId]);
  if (!rows[0]?.provider_account_id) throw new Error(`operator ${operatorId} has no provider account`);
  return rows[0].provider_account_id;
}

export function paymentOrm(p: PaymentStack) {
  const payment = p.stack.subgraphs.payment;
  if (!payment) throw new Error('no payment subgraph');
  return payment.orm;
}

export async function countRows(
  p: PaymentStack,
  table: 'payment' | 'refund' | 'saved_payment_method',
): Promise<number> {
  const [row]: Array<{ count: string }> = await paymentOrm(p)
    .em.fork()
    .execute(`select count(*) as count from ${table}`);
  return Number(row.count);
}

export async function saveCard(
  p: PaymentStack,
  driver: TokenClaims,
  paymentMethodId = 'pm_card_visa',
): Promise<string> {
  const { savePaymentMethod } = ok(
    await p.stack.query<{ savePaymentMethod: { id: string } }>(
      `mutation ($pm: String!) { savePaymentMethod(paymentMethodId: $pm) { id brand last4 } }`,
      { pm: paymentMethodId },
      driver,
    ),
  );
  return savePaymentMethod.id;
}

export async function startSession(
  p: PaymentStack,
  driver: TokenClaims,
  operator: Operator,
  connector = 0,
): Promise<string> {
  const { startChargingSession } = ok(
    await p.stack.query<{ startChargingSession: { id: string } }>(
      `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id } }`,
      { input: { stationId: operator.stationId, connectorId: operator.connectorIds[connector] } },
      driver,
    ),
  );
  return startChargingSession.id;
}

/** Meter value then stop: the session is COMPLETED and priced; returns its total. */
export async function finishSession(
  p: PaymentStack,
  driver: TokenClaims,
  operator: Operator,
  sessionId: string,
  energyWh: number,
): Promise<{ amount: number; currency: string }> {
  await backdateSession(databaseUrl(p.stack.config, 'session'), sessionId, energyWh);
  ok(
    await p.stack.query(
      `mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id } }`,
      { input: { sessionId, energyWh, measuredAt: new Date().toISOString() } },
      adminOf(operator.id),
    ),
  );
  const { stopChargingSession } = ok(
    await p.stack.query<{
      stopChargingSession: { status: string; cost: { total: { amount: number; currency: string } } };
    }>(
      `mutation ($id: ID!) { stopChargingSession(id: $id) { status cost { total { amount currency } } } }`,
      { id: sessionId },
      driver,
    ),
  );
  expect(stopChargingSession.status).toBe('COMPLETED');
  return stopChargingSession.cost.total;
}

export const PAYMENT =
  'id status amount { amount currency } authorizedAmount { amount currency } applicationFee { amount currency } receipt { number amount { amount currency } cardBrand cardLast4 }';

export interface PaymentView {
  id: string;
  status: string;
  amount: { amount: number; currency: string } | null;
  authorizedAmount: { amount: number } | null;
  applicationFee: { amount: number } | null;
  receipt: { number: string; cardBrand: string; cardLast4: string } | null;
}

export const authorize = (p: PaymentStack, driver: TokenClaims, sessionId: string, paymentMethodId: string) =>
  p.stack.query<{ authorizeChargingSession: PaymentView }>(
    `mutation ($input: AuthorizeChargingSessionInput!) { authorizeChargingSession(input: $input) { ${PAYMENT} } }`,
    { input: { sessionId, paymentMethodId } },
    driver,
  );

export const chargeSession = (p: PaymentStack, who: TokenClaims, sessionId: string) =>
  p.stack.query<{ chargeSession: PaymentView }>(
    `mutation ($id: ID!) { chargeSession(sessionId: $id) { ${PAYMENT} } }`,
    { id: sessionId },
    who,
  );

export const refundPayment = (p: PaymentStack, who: TokenClaims, paymentId: string, amount?: number) =>
  p.stack.query<{ refundPayment: { id: string; status: string; amount: { amount: number } } }>(
    `mutation ($input: RefundPaymentInput!) { refundPayment(input: $input) { id status amount { amount currency } } }`,
    { input: { paymentId, amount } },
    who,
  );

/** The emulator's fee model: round(2.9 %) + 30 minor units (no fixed part for zero-decimal currencies). */
export const stripeFee = (amount: number, currency: string) =>
  Math.round((amount * 2.9) / 100) + (currency.toUpperCase() === 'JPY' ? 0 : 30);

/** The raw start (errors included): the hold is placed at start with the given card or the driver's newest. */
export const tryStartSession = (p: PaymentStack, driver: TokenClaims, operator: Operator, connector = 0) =>
  p.stack.query<{ startChargingSession: { id: string; status: string } }>(
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status } }`,
    { input: { stationId: operator.stationId, connectorId: operator.connectorIds[connector] } },
    driver,
  );

/** The session's payment as its driver sees it (null before any hold or charge). */
export async function paymentOfSession(p: PaymentStack, who: TokenClaims, sessionId: string) {
  const { chargingSession } = ok(
    await p.stack.query<{ chargingSession: { status: string; payment: PaymentView | null } }>(
      `query ($id: ID!) { chargingSession(id: $id) { status payment { ${PAYMENT} } } }`,
      { id: sessionId },
      who,
    ),
  );
  return chargingSession;
}

/** The driver's sessions, newest first (id and status). */
export async function sessionsOf(p: PaymentStack, driver: TokenClaims) {
  const { chargingSessions } = ok(
    await p.stack.query<{ chargingSessions: { edges: Array<{ node: { id: string; status: string } }> } }>(
      `query { chargingSessions(first: 10) { edges { node { id status } } } }`,
      {},
      driver,
    ),
  );
  return chargingSessions.edges.map((e) => e.node);
}
