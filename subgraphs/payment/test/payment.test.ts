import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../../platform/ids.js';
import { ANONYMOUS } from '../../../platform/identity.js';
import { processMetrics } from '../../../platform/metrics.js';
import { ProcessedWebhookEvent } from '../webhook/webhook.entity.js';
import {
  adminOf,
  authorize,
  charge,
  complete,
  countPayments,
  countRefunds,
  dataOf,
  driverWithCard,
  newDriver,
  onboardedOperator,
  paymentRow,
  platformAdmin,
  providerAccountOf,
  reasonOf,
  refund,
  requestsTo,
  session,
  startHarness,
  type Harness,
} from './harness.js';

/* The money flow of the payment subgraph against the Stripe emulator: onboarding, hold, targeted charge, refunds,
 * operator views, webhooks (signatures, dedupe, order) and every typed error (with "nothing written" checked on rows and balances). */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.destroy());

describe('operator onboarding', () => {
  it('creates the connected account once and hands out a fresh link each time', async () => {
    const operatorId = '01938a3e-0000-7000-8000-00000000a001';
    h.owners.operators.set(operatorId, { id: operatorId, country: 'FR', contactEmail: 'ops@example.fr' });
    const start = `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url expiresAt } }`;
    const first = dataOf(
      await h.subgraph.run<{ startOperatorOnboarding: { url: string; expiresAt: string } }>(
        start,
        { id: operatorId },
        adminOf(operatorId),
      ),
    );
    const second = dataOf(
      await h.subgraph.run<{ startOperatorOnboarding: { url: string } }>(start, { id: operatorId }, platformAdmin),
    );
    expect(first.startOperatorOnboarding.url).not.toBe(second.startOperatorOnboarding.url);
    expect(new Date(first.startOperatorOnboarding.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const creates = requestsTo(h, 'POST', /^\/v1\/accounts$/).filter(
      (r) => r.idempotencyKey === `account:${operatorId}`,
    );
    expect(creates).toHaveLength(1);

    const view = `query ($id: ID!) { _entities(representations: [{ __typename: "Operator", id: $id }]) { ... on Operator { paymentAccount { chargesEnabled payoutsEnabled onboardingStatus feePolicy { basisPoints fixedAmount } } } } }`;
    const before = dataOf(
      await h.subgraph.run<{ _entities: Array<{ paymentAccount: Record<string, unknown> }> }>(
        view,
        { id: operatorId },
        adminOf(operatorId),
      ),
    );
    expect(before._entities[0].paymentAccount).toMatchObject({
      chargesEnabled: false,
      onboardingStatus: 'PENDING',
      feePolicy: { basisPoints: 0, fixedAmount: 0 },
    });

    await fetch(`${h.emulator.url}/_emulator/accounts/${await providerAccountOf(h, operatorId)}/onboard`, {
      method: 'POST',
    });
    await h.emulator.flushWebhooks();
    const after = dataOf(
      await h.subgraph.run<{ _entities: Array<{ paymentAccount: Record<string, unknown> }> }>(
        view,
        { id: operatorId },
        adminOf(operatorId),
      ),
    );
    expect(after._entities[0].paymentAccount).toMatchObject({
      chargesEnabled: true,
      payoutsEnabled: true,
      onboardingStatus: 'COMPLETE',
    });

    const other = await h.subgraph.run(view, { id: operatorId }, adminOf('01938a3e-0000-7000-8000-00000000a002'));
    expect(other.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const refused = await h.subgraph.run(start, { id: operatorId }, adminOf('01938a3e-0000-7000-8000-00000000a002'));
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('hold and targeted charge', () => {
  it('holds at start and captures the final amount with the fee on the operator account', async () => {
    const operator = await onboardedOperator(h, { basisPoints: 250, fixedAmount: 30 });
    const driver = newDriver();
    const card = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id, preAuthorization: 5000 });

    const held = dataOf(await authorize(h, driver, s.id, card)).authorizeChargingSession;
    expect(held).toMatchObject({
      status: 'AUTHORIZED',
      authorizedAmount: { amount: 5000, currency: 'EUR' },
      amount: null,
      receipt: null,
    });

    const early = await charge(h, driver, s.id);
    expect(reasonOf(early)).toBe('SESSION_NOT_COMPLETED');

    complete(s, 1234);
    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    // fee = round_half_up(1234 × 2.5 %) + 30 = 31 + 30
    expect(paid).toMatchObject({
      id: held.id,
      status: 'SUCCEEDED',
      amount: { amount: 1234, currency: 'EUR' },
      applicationFee: { amount: 61 },
    });
    expect(paid.receipt).toMatchObject({ amount: { amount: 1234 }, cardBrand: 'visa', cardLast4: '4242' });

    const captures = requestsTo(h, 'POST', /\/capture$/).filter((r) => r.account === operator.account);
    expect(captures).toHaveLength(1);
    expect(captures[0].idempotencyKey).toBe(`capture:${held.id}:1`);
    // Operator: 1234 − Stripe fee (round(1234 × 2.9 %) + 30 = 66) − application fee 61; platform: the fee only.
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(1234 - 66 - 61);

    const again = dataOf(await charge(h, adminOf(operator.id), s.id)).chargeSession;
    expect(again.id).toBe(held.id);
    expect(requestsTo(h, 'POST', /\/capture$/).filter((r) => r.account === operator.account)).toHaveLength(1);
  });

  it('charges off-session on the operator account when there is no hold', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    await driverWithCard(h, driver, 'pm_card_mastercard');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s, 2000);
    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(paid).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: 2000 },
      applicationFee: { amount: 0 },
      authorizedAmount: null,
    });
    expect(paid.receipt?.cardBrand).toBe('mastercard');
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(2000 - 88);
  });

  it('refuses anonymous and foreign callers', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s);
    expect((await charge(h, ANONYMOUS, s.id)).errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect((await charge(h, newDriver(), s.id)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await charge(h, adminOf('01938a3e-0000-7000-8000-00000000a009'), s.id)).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect(await paymentRow(h, s.id)).toBeNull();
    expect(await countPayments(h)).toBeGreaterThan(0);
  });
});

/** Rows and operator balance before and after: a refused call must change neither. */
async function unchanged(account: string, currency: string, run: () => Promise<unknown>): Promise<void> {
  const rows = await countPayments(h);
  const balance = h.emulator.balanceOf(account, currency);
  await run();
  expect(await countPayments(h)).toBe(rows);
  expect(h.emulator.balanceOf(account, currency)).toEqual(balance);
}

describe('typed errors, nothing written', () => {
  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ])('a hold declined on %s is PAYMENT_DECLINED (%s) and leaves no payment', async (card, declineCode) => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver, card);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    await unchanged(operator.account, 'eur', async () => {
      const result = await authorize(h, driver, s.id, cardId);
      expect(result.data).toBeNull();
      expect(reasonOf(result)).toBe('PAYMENT_DECLINED');
      expect(result.errors?.[0].extensions?.code).toBe('PAYMENT_DECLINED');
      expect(result.errors?.[0].extensions?.declineCode).toBe(declineCode);
      expect(result.errors?.[0].message).toMatch(/declined|insufficient funds/i);
    });
    expect(await paymentRow(h, s.id)).toBeNull();

    // A new card starts over with fresh ids and keys and succeeds.
    const visa = await driverWithCard(h, driver, 'pm_card_visa');
    const held = dataOf(await authorize(h, driver, s.id, visa)).authorizeChargingSession;
    expect(held.status).toBe('AUTHORIZED');
  });

  it('an off-session charge that needs authentication is PAYMENT_ACTION_REQUIRED and moves no money', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    await driverWithCard(h, driver, 'pm_card_authenticationRequired');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s, 1500);
    const result = await charge(h, driver, s.id);
    expect(reasonOf(result)).toBe('PAYMENT_ACTION_REQUIRED');
    // No money moved; the failed attempt is kept (FAILED, with its reason) so operators and the sweeper see it.
    expect(h.emulator.balanceOf(operator.account, 'eur')).toEqual({ available: 0, pending: 0 });
    expect(await paymentRow(h, s.id)).toMatchObject({ status: 'FAILED', failureCode: 'authentication_required' });
  });

  it('a declined off-session charge is not retried on the same card, even by 20 concurrent calls; a new card is', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    await driverWithCard(h, driver, 'pm_card_chargeDeclinedInsufficientFunds');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s, 1600);
    const attempts = () =>
      h.emulator.requests().filter((r) => r.account === operator.account && r.path === '/v1/payment_intents').length;
    const results = await Promise.all(Array.from({ length: 20 }, () => charge(h, driver, s.id)));
    expect(results.map(reasonOf)).toEqual(Array(20).fill('PAYMENT_DECLINED'));
    expect(results.every((r) => r.errors?.[0].extensions?.declineCode === 'insufficient_funds')).toBe(true);
    expect(attempts()).toBe(1);

    await driverWithCard(h, driver, 'pm_card_visa');
    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(paid).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 1600 } });
    expect(await paymentRow(h, s.id)).toMatchObject({ attempt: 2, failureCode: null });
    expect(attempts()).toBe(2);
  });

  it('an operator that has not finished onboarding is OPERATOR_NOT_PAYABLE', async () => {
    const operatorId = newId();
    h.owners.operators.set(operatorId, { id: operatorId, country: 'DE', contactEmail: 'new@example.com' });
    dataOf(
      await h.subgraph.run(
        `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url } }`,
        { id: operatorId },
        adminOf(operatorId),
      ),
    );
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId });
    const rows = await countPayments(h);
    expect(reasonOf(await authorize(h, driver, s.id, cardId))).toBe('OPERATOR_NOT_PAYABLE');
    complete(s);
    expect(reasonOf(await charge(h, driver, s.id))).toBe('OPERATOR_NOT_PAYABLE');
    expect(await countPayments(h)).toBe(rows);
  });

  it('a session that is not completed cannot be charged; one that is not active cannot be held', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    await unchanged(operator.account, 'eur', async () => {
      const result = await charge(h, driver, s.id);
      expect(reasonOf(result)).toBe('SESSION_NOT_COMPLETED');
      expect(result.errors?.[0].extensions?.sessionStatus).toBe('ACTIVE');
      complete(s);
      expect(reasonOf(await authorize(h, driver, s.id, cardId))).toBe('SESSION_NOT_ACTIVE');
    });
  });

  it('a driver without a card is PAYMENT_METHOD_REQUIRED', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s);
    await unchanged(operator.account, 'eur', async () => {
      expect(reasonOf(await charge(h, driver, s.id))).toBe('PAYMENT_METHOD_REQUIRED');
    });
  });

  it('unknown sessions and foreign cards are NOT_FOUND; another driver is FORBIDDEN', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const other = newDriver();
    const otherCard = await driverWithCard(h, other);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    expect((await charge(h, driver, newId())).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await authorize(h, driver, s.id, otherCard)).errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await authorize(h, other, s.id, otherCard)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await authorize(h, driver, 'not-a-uuid', otherCard)).errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(await paymentRow(h, s.id)).toBeNull();
  });
});

describe('3-D Secure at the hold', () => {
  it('returns REQUIRES_ACTION with a client secret for the driver only, then captures once authenticated', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver, 'pm_card_authenticationRequired');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    const held = dataOf(await authorize(h, driver, s.id, cardId)).authorizeChargingSession;
    expect(held.status).toBe('REQUIRES_ACTION');
    expect(held.clientSecret).toMatch(/^pi_.+_secret_/);

    const asAdmin = dataOf(
      await h.subgraph.run<{ _entities: Array<{ clientSecret: string | null; status: string }> }>(
        `query ($id: ID!) { _entities(representations: [{ __typename: "Payment", id: $id }]) { ... on Payment { status clientSecret } } }`,
        { id: held.id },
        adminOf(operator.id),
      ),
    );
    expect(asAdmin._entities[0]).toEqual({ status: 'REQUIRES_ACTION', clientSecret: null });

    // Charging before the driver authenticated is refused with a typed error; nothing is captured.
    complete(s, 900);
    expect(reasonOf(await charge(h, driver, s.id))).toBe('PAYMENT_ACTION_REQUIRED');

    // The driver completes 3-D Secure (Stripe.js in the app; the emulator's page here); the webhook moves the hold on.
    const row = await paymentRow(h, s.id);
    const page = await fetch(
      `${h.emulator.url}/_emulator/payment_intents/${row!.paymentIntentId}/authenticate?account=${operator.account}`,
    );
    expect(page.status).toBe(200);
    await h.emulator.flushWebhooks();
    expect((await paymentRow(h, s.id))?.status).toBe('AUTHORIZED');

    const paid = dataOf(await charge(h, driver, s.id)).chargeSession;
    expect(paid).toMatchObject({ id: held.id, status: 'SUCCEEDED', amount: { amount: 900 }, clientSecret: null });
    expect(requestsTo(h, 'POST', /\/capture$/).filter((r) => r.account === operator.account)).toHaveLength(1);
  });
});

async function paidSession(options: {
  total: number;
  currency?: string;
  country?: string;
  hold?: number;
  basisPoints?: number;
}) {
  const operator = await onboardedOperator(h, { country: options.country, basisPoints: options.basisPoints });
  const driver = newDriver();
  const cardId = await driverWithCard(h, driver);
  const s = session(h, {
    driverId: driver.sub!,
    operatorId: operator.id,
    currency: options.currency ?? 'EUR',
    preAuthorization: options.hold ?? 5000,
  });
  if (options.hold !== undefined) dataOf(await authorize(h, driver, s.id, cardId));
  complete(s, options.total);
  const payment = dataOf(await charge(h, driver, s.id)).chargeSession;
  return { operator, driver, session: s, payment };
}

describe('final amount against the hold', () => {
  it('above the hold: captures the authorised amount, never more (capped, logged, counted)', async () => {
    const cappedBefore = await cappedCaptures('EUR');
    const { operator, payment, session: s } = await paidSession({ total: 7000, hold: 5000, basisPoints: 100 });
    expect(payment).toMatchObject({
      status: 'SUCCEEDED',
      amount: { amount: 5000 },
      authorizedAmount: { amount: 5000 },
      applicationFee: { amount: 50 },
    });
    expect(await paymentRow(h, s.id)).toMatchObject({ attempt: 1, kind: 'HOLD', amount: 5000 });
    const onAccount = h.emulator.requests().filter((r) => r.account === operator.account && r.status === 200);
    expect(onAccount.filter((r) => r.path.endsWith('/cancel'))).toHaveLength(0);
    expect(onAccount.filter((r) => r.path === '/v1/payment_intents').map((r) => r.idempotencyKey)).toEqual([
      `hold:${payment.id}:1`,
    ]);
    const captures = onAccount.filter((r) => r.path.endsWith('/capture'));
    expect(captures.map((r) => r.idempotencyKey)).toEqual([`capture:${payment.id}:1`]);
    // 5000 − Stripe (145 + 30) − application fee 50.
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(5000 - 175 - 50);
    expect(await cappedCaptures('EUR')).toBe(cappedBefore + 1);
  });

  it('priced at zero: cancels the hold; the payment succeeds with amount 0 and no fee', async () => {
    const { operator, payment } = await paidSession({ total: 0, hold: 5000, basisPoints: 500 });
    expect(payment).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 0 }, applicationFee: { amount: 0 } });
    expect(h.emulator.balanceOf(operator.account, 'eur')).toEqual({ available: 0, pending: 0 });
  });

  it('JPY (zero-decimal): integer yen end to end, fee rounded half up', async () => {
    const { operator, payment } = await paidSession({
      total: 3456,
      hold: 5000,
      currency: 'JPY',
      country: 'JP',
      basisPoints: 333,
    });
    // 3456 × 3.33 % = 115.08 → 115
    expect(payment).toMatchObject({
      amount: { amount: 3456, currency: 'JPY' },
      applicationFee: { amount: 115, currency: 'JPY' },
    });
    expect(h.emulator.balanceOf('platform', 'jpy').available).toBeGreaterThanOrEqual(115);
    expect(h.emulator.balanceOf(operator.account, 'jpy').available).toBe(3456 - Math.round(3456 * 0.029) - 115);
  });
});

describe('refunds', () => {
  it('refunds partly, then the rest, on the operator account; never more than remains', async () => {
    const { operator, payment, session: s } = await paidSession({ total: 2000 });
    const admin = adminOf(operator.id);
    const first = dataOf(await refund(h, admin, payment.id, 500)).refundPayment;
    expect(first).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 500 } });

    const before = await countRefunds(h);
    const tooMuch = await refund(h, admin, payment.id, 1501);
    expect(reasonOf(tooMuch)).toBe('REFUND_EXCEEDS_REMAINING');
    expect(tooMuch.errors?.[0].extensions?.remaining).toBe(1500);
    expect(await countRefunds(h)).toBe(before);

    const rest = dataOf(await refund(h, platformAdmin, payment.id)).refundPayment;
    expect(rest.amount.amount).toBe(1500);
    expect(reasonOf(await refund(h, admin, payment.id, 1))).toBe('REFUND_EXCEEDS_REMAINING');

    const refunds = requestsTo(h, 'POST', /^\/v1\/refunds$/).filter((r) => r.account === operator.account);
    expect(refunds.map((r) => r.idempotencyKey)).toEqual([`refund:${first.id}`, `refund:${rest.id}`]);
    await h.emulator.flushWebhooks(); // charge.refunded agrees with what we recorded
    expect((await paymentRow(h, s.id))?.refundedAmount).toBe(2000);
    expect(h.emulator.balanceOf(operator.account, 'eur').available).toBe(-88); // refunded in full; Stripe keeps its fee
  });

  it("another operator's admin and the driver are FORBIDDEN; nothing is written", async () => {
    const { operator, driver, payment } = await paidSession({ total: 1000 });
    const other = await onboardedOperator(h);
    const before = await countRefunds(h);
    const balance = h.emulator.balanceOf(operator.account, 'eur');
    expect((await refund(h, adminOf(other.id), payment.id, 100)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await refund(h, driver, payment.id, 100)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(await countRefunds(h)).toBe(before);
    expect(h.emulator.balanceOf(operator.account, 'eur')).toEqual(balance);
  });

  it('only succeeded payments are refundable', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    const held = dataOf(await authorize(h, driver, s.id, cardId)).authorizeChargingSession;
    expect(reasonOf(await refund(h, adminOf(operator.id), held.id))).toBe('PAYMENT_NOT_REFUNDABLE');
  });
});

describe('operator views', () => {
  it('lists payments and sums revenue per currency in SQL', async () => {
    const { operator } = await paidSession({ total: 1000, basisPoints: 1000 });
    const driver = newDriver();
    await driverWithCard(h, driver);
    const s2 = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s2, 3000);
    const second = dataOf(await charge(h, driver, s2.id)).chargeSession;
    dataOf(await refund(h, adminOf(operator.id), second.id, 400));

    const query = `query ($id: ID!, $from: DateTimeISO!, $to: DateTimeISO!) { _entities(representations: [{ __typename: "Operator", id: $id }]) { ... on Operator {
      payments(first: 1, filter: { status: SUCCEEDED }) { edges { node { id amount { amount } } } pageInfo { hasNextPage endCursor } }
      revenue(from: $from, to: $to) { currency gross { amount currency } applicationFees { amount } refunded { amount } net { amount } paymentCount } } } }`;
    const vars = {
      id: operator.id,
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    };
    type View = {
      _entities: Array<{
        payments: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } };
        revenue: unknown[];
      }>;
    };
    const view = dataOf(await h.subgraph.run<View>(query, vars, adminOf(operator.id)))._entities[0];
    expect(view.payments.edges.map((e) => e.node.id)).toEqual([second.id]); // newest first
    expect(view.payments.pageInfo.hasNextPage).toBe(true);
    expect(view.revenue).toEqual([
      {
        currency: 'EUR',
        gross: { amount: 4000, currency: 'EUR' },
        // 10 % of 1000 + 3000 taken, of which the 400 refund of the 3000 payment gave back 40 (the default policy)
        applicationFees: { amount: 360 },
        refunded: { amount: 400 },
        net: { amount: 3240 },
        paymentCount: 2,
      },
    ]);
    const refused = await h.subgraph.run(query, vars, adminOf((await onboardedOperator(h)).id));
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

const PLATFORM_SECRET = 'whsec_emulator_platform';
const CONNECT_SECRET = 'whsec_emulator_connect';

let stripe: Stripe;
beforeAll(() => {
  stripe = new Stripe('sk_test_emulator', h.emulator.clientOptions);
});

async function deliver(
  event: object,
  secret = CONNECT_SECRET,
  header?: string,
): Promise<{ status: number; body: { result?: string } }> {
  const payload = JSON.stringify(event);
  const response = await fetch(h.webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(header !== ''
        ? { 'stripe-signature': header ?? stripe.webhooks.generateTestHeaderString({ payload, secret }) }
        : {}),
    },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as { result?: string } };
}

const processed = () => h.subgraph.orm.em.fork().count(ProcessedWebhookEvent, {});

/** The events the emulator recorded on a connected account, oldest first. */
async function eventsOf(account: string, type?: string): Promise<Stripe.Event[]> {
  const list = await stripe.events.list({ limit: 100, ...(type ? { type } : {}) }, { stripeAccount: account });
  return [...list.data].reverse();
}

describe('webhook endpoint', () => {
  it('answers 400 and changes nothing for a missing, wrong or mismatched signature', async () => {
    const operator = await onboardedOperator(h);
    const [event] = await eventsOf(operator.account, 'account.updated');
    const before = await processed();
    const forged = { ...event, id: 'evt_forged_1' };
    expect((await deliver(forged, CONNECT_SECRET, '')).status).toBe(400);
    expect((await deliver(forged, 'whsec_someone_else')).status).toBe(400);
    expect((await deliver(forged, CONNECT_SECRET, 't=1,v1=deadbeef')).status).toBe(400);
    // A Connect event (it names an account) signed with the platform endpoint's secret is refused too.
    expect((await deliver(forged, PLATFORM_SECRET)).status).toBe(400);
    expect(await processed()).toBe(before);
  });

  it('ignores event types it does not handle with 200', async () => {
    const result = await deliver(
      {
        id: 'evt_unknown_1',
        object: 'event',
        type: 'customer.created',
        data: { object: { id: 'cus_1', object: 'customer' } },
      },
      PLATFORM_SECRET,
    );
    expect(result).toEqual({ status: 200, body: { received: true, result: 'ignored' } });
  });

  it('applies each event once: replays and concurrent duplicates are recognised by event id', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s, 1800);
    dataOf(await charge(h, driver, s.id));
    await h.emulator.flushWebhooks();
    const [succeeded] = await eventsOf(operator.account, 'payment_intent.succeeded');
    expect((await deliver(succeeded)).body.result).toBe('duplicate');

    const fresh = { ...succeeded, id: `evt_dup_${Date.now()}` };
    const results = await Promise.all(Array.from({ length: 10 }, () => deliver(fresh)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(results.filter((r) => r.body.result === 'duplicate')).toHaveLength(9);
  });

  it('converges whatever the order: events are re-fetched and applied forward only', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver, 'pm_card_authenticationRequired');
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    h.emulator.setWebhookUrl(undefined); // we deliver, in the order we choose
    try {
      const held = dataOf(await authorize(h, driver, s.id, cardId)).authorizeChargingSession;
      expect(held.status).toBe('REQUIRES_ACTION');
      const intent = (await paymentRow(h, s.id))!.paymentIntentId!;
      await fetch(`${h.emulator.url}/_emulator/payment_intents/${intent}/authenticate?account=${operator.account}`);
      const handled = [
        'payment_intent.requires_action',
        'payment_intent.amount_capturable_updated',
        'payment_intent.succeeded',
        'payment_intent.canceled',
        'payment_intent.payment_failed',
      ];
      const events = (await eventsOf(operator.account)).filter((e) => handled.includes(e.type));
      expect(events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['payment_intent.requires_action', 'payment_intent.amount_capturable_updated']),
      );

      for (const event of [...events].reverse()) expect((await deliver(event)).status).toBe(200);
      expect((await paymentRow(h, s.id))?.status).toBe('AUTHORIZED');

      complete(s, 1200);
      dataOf(await charge(h, driver, s.id));
      // Every old event again, and stale copies under new ids: nothing moves back.
      for (const event of events) expect((await deliver(event)).body.result).toBe('duplicate');
      for (const event of events)
        expect((await deliver({ ...event, id: `${event.id}_late` })).body.result).toBe('unchanged');
      expect(await paymentRow(h, s.id)).toMatchObject({ status: 'SUCCEEDED', amount: 1200 });
    } finally {
      h.emulator.setWebhookUrl(h.webhookUrl);
    }
  });

  it('learns about refunds made outside ChargeGraph from charge.refunded (the released part of a hold is no refund)', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    const cardId = await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id, preAuthorization: 5000 });
    dataOf(await authorize(h, driver, s.id, cardId));
    complete(s, 2500);
    dataOf(await charge(h, driver, s.id));
    const row = await paymentRow(h, s.id);
    await stripe.refunds.create(
      { payment_intent: row!.paymentIntentId!, amount: 700 },
      { stripeAccount: operator.account },
    );
    await h.emulator.flushWebhooks();
    expect((await paymentRow(h, s.id))?.refundedAmount).toBe(700);
  });

  it('does not mark a dispute the provider does not report (re-fetch of the charge)', async () => {
    const operator = await onboardedOperator(h);
    const driver = newDriver();
    await driverWithCard(h, driver);
    const s = session(h, { driverId: driver.sub!, operatorId: operator.id });
    complete(s, 900);
    dataOf(await charge(h, driver, s.id));
    const intent = await stripe.paymentIntents.retrieve(
      (await paymentRow(h, s.id))!.paymentIntentId!,
      {},
      { stripeAccount: operator.account },
    );
    const dispute = {
      id: 'dp_1',
      object: 'dispute',
      charge: intent.latest_charge,
      payment_intent: intent.id,
      status: 'needs_response',
      amount: 900,
    };
    const result = await deliver({
      id: 'evt_dispute_1',
      object: 'event',
      account: operator.account,
      type: 'charge.dispute.created',
      data: { object: dispute },
    });
    expect(result.body.result).toBe('ignored'); // the emulator's charge is not disputed
    expect((await paymentRow(h, s.id))?.disputeStatus ?? null).toBeNull();
  });
});

/** chargegraph_payment_capture_capped_total for one currency, from this process's registry. */
async function cappedCaptures(currency: string): Promise<number> {
  const metric = processMetrics().registry.getSingleMetric('chargegraph_payment_capture_capped_total');
  const values = metric ? (await metric.get()).values : [];
  return values.find((v) => v.labels.currency === currency)?.value ?? 0;
}
