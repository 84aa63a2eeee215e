import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMULATED_API_VERSION } from '../../dev/stripe-emulator/events/events.js';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { buildOperationContracts, loadSpecDocuments } from '../../dev/stripe-emulator/spec/generate-operations.js';
import { OPERATIONS } from '../../dev/stripe-emulator/spec/operations.generated.js';
import { sdk, startEmulator } from './support/harness.js';
import { checkRequest, loadSpec, mapLimited, SchemaChecker, SPEC_AVAILABLE, SPEC_DIR } from './support/openapi.js';
import { recordingHttpClient, type RecordedExchange } from './support/recording-http-client.js';

/** Endpoints the emulator serves beyond the spec subset (documented in the README). */
const EXTENSIONS = ['GET /v1/payment_methods/{payment_method}', 'GET /v1/disputes/{dispute}'];

const SCHEMA_BY_OBJECT: Record<string, string> = {
  account: 'account',
  account_link: 'account_link',
  application_fee: 'application_fee',
  balance: 'balance',
  balance_transaction: 'balance_transaction',
  charge: 'charge',
  customer: 'customer',
  dispute: 'dispute',
  event: 'event',
  payment_intent: 'payment_intent',
  payment_method: 'payment_method',
  refund: 'refund',
};

/** A property of a JSON value, if it is an object. */
function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? Object.getOwnPropertyDescriptor(value, name)?.value
    : undefined;
}

/** Method, path with the object id (always the 4th segment: /v1/<resource>/<id>) blanked, sorted parameter names. */
function requestShape(exchange: RecordedExchange): string {
  const [path, query = ''] = exchange.path.split('?');
  const names = `${query}&${exchange.body}`
    .split('&')
    .map((pair) => decodeURIComponent(pair.split('=')[0]).split('[')[0])
    .filter((name) => name !== '');
  const segments = path.split('/').map((segment, index) => (index === 3 ? '{id}' : segment));
  return `${exchange.method} ${segments.join('/')} ${[...new Set(names)].sort().join(',')}`;
}

it('renders events in the API version the SDK pins', () => {
  expect(EMULATED_API_VERSION).toBe(Stripe.API_VERSION);
});

it('has the Stripe contract to check against', () => {
  expect(
    SPEC_AVAILABLE,
    `spec3.subset.json and check-request.mjs are missing from ${SPEC_DIR} (set STRIPE_OPENAPI_DIR)`,
  ).toBe(true);
});

describe(`conformance with ${SPEC_DIR}`, () => {
  let emulator: StripeEmulator;
  const exchanges: RecordedExchange[] = [];

  /** One pass over every endpoint, in the order the payment flow uses them. */
  async function representativeCalls(stripe: Stripe): Promise<void> {
    const created = await stripe.accounts.create({
      type: 'express',
      country: 'DE',
      email: 'op@example.test',
      capabilities: { card_payments: { requested: true }, transfers: { requested: true } },
      business_profile: { name: 'Op', mcc: '5734' },
      metadata: { operator: 'op_1' },
    });
    await stripe.accounts.list({ limit: 5 });
    await stripe.accountLinks.create({
      account: created.id,
      type: 'account_onboarding',
      return_url: 'https://x.test/r',
      refresh_url: 'https://x.test/f',
    });
    await fetch(`${emulator.url}/_emulator/accounts/${created.id}/onboard`, { method: 'POST' });
    await stripe.accounts.update(created.id, { metadata: { onboarded: 'yes' } });
    const account = (await stripe.accounts.retrieve(created.id)).id;
    const onAccount = { stripeAccount: account };

    const customer = await stripe.customers.create({
      email: 'driver@example.test',
      name: 'Driver',
      metadata: { user: 'u_1' },
    });
    await stripe.customers.list({ email: 'driver@example.test' });
    const card = await stripe.paymentMethods.create({
      type: 'card',
      card: { token: 'tok_visa' },
      billing_details: { name: 'Driver' },
    });
    await stripe.paymentMethods.attach(card.id, { customer: customer.id });
    await stripe.paymentMethods.list({ customer: customer.id, type: 'card' });
    await stripe.paymentMethods.retrieve(card.id);
    const clone = await stripe.paymentMethods.create({ customer: customer.id, payment_method: card.id }, onAccount);

    const hold = await stripe.paymentIntents.create(
      {
        amount: 5000,
        currency: 'eur',
        payment_method: clone.id,
        capture_method: 'manual',
        confirm: true,
        allowed_payment_method_types: ['card'],
        payment_method_options: { card: { request_incremental_authorization: 'if_available' } },
        metadata: { session: 's_1' },
        statement_descriptor_suffix: 'S1',
        expand: ['latest_charge'],
      },
      onAccount,
    );
    await stripe.paymentIntents.retrieve(hold.id, {}, onAccount);
    await stripe.paymentIntents.update(hold.id, { description: 'Session s_1' }, onAccount);
    await stripe.paymentIntents.incrementAuthorization(hold.id, { amount: 6000 }, onAccount);
    const captured = await stripe.paymentIntents.capture(
      hold.id,
      { amount_to_capture: 4500, application_fee_amount: 300 },
      onAccount,
    );
    await stripe.paymentIntents.list({ limit: 3 }, onAccount);

    const twoStep = await stripe.paymentIntents.create(
      { amount: 2000, currency: 'eur', automatic_payment_methods: { enabled: true, allow_redirects: 'never' } },
      onAccount,
    );
    await stripe.paymentIntents.confirm(twoStep.id, { payment_method: 'pm_card_visa', off_session: true }, onAccount);
    // `payment_method_types` left the stripe@23 types (now `allowed_payment_method_types`); older callers still send it.
    const legacyParams = {
      amount: 2000,
      currency: 'eur',
      payment_method_types: ['card'],
    } as Stripe.PaymentIntentCreateParams;
    const abandoned = await stripe.paymentIntents.create(legacyParams, onAccount);
    await stripe.paymentIntents.cancel(abandoned.id, { cancellation_reason: 'abandoned' }, onAccount);
    await stripe.paymentIntents
      .create(
        {
          amount: 2000,
          currency: 'eur',
          payment_method: 'pm_card_chargeDeclined',
          confirm: true,
          allowed_payment_method_types: ['card'],
        },
        onAccount,
      )
      .catch(() => undefined);
    await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'eur',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        allowed_payment_method_types: ['card'],
      },
      onAccount,
    );

    const chargeId = String(captured.latest_charge);
    await stripe.charges.retrieve(chargeId, { expand: ['balance_transaction'] }, onAccount);
    await stripe.charges.update(chargeId, { description: 'Session s_1', metadata: { receipt: 'r_1' } }, onAccount);
    const refund = await stripe.refunds.create(
      { payment_intent: captured.id, amount: 1000, refund_application_fee: true, reason: 'requested_by_customer' },
      onAccount,
    );
    await stripe.refunds.retrieve(refund.id, {}, onAccount);
    await stripe.refunds.update(refund.id, { metadata: { note: 'n' } }, onAccount);
    await stripe.refunds.list({ charge: chargeId }, onAccount);
    // Refund test cards: a pending refund that succeeds later, a succeeded one that fails later (its events and the
    // failed refund with failure_reason and failure_balance_transaction are checked below like every response).
    for (const card of ['pm_card_pendingRefund', 'pm_card_refundFail']) {
      const paid = await stripe.paymentIntents.create(
        { amount: 2000, currency: 'eur', payment_method: card, confirm: true, allowed_payment_method_types: ['card'] },
        onAccount,
      );
      const later = await stripe.refunds.create({ payment_intent: paid.id, amount: 500 }, onAccount);
      emulator.settleRefund(account, later.id);
      await stripe.refunds.retrieve(later.id, { expand: ['failure_balance_transaction'] }, onAccount);
    }

    // The dispute test card: a dispute opens on capture (events carry it); one closes won, one lost.
    for (const outcome of ['won', 'lost'] as const) {
      const disputed = await stripe.paymentIntents.create(
        {
          amount: 3000,
          currency: 'eur',
          payment_method: 'pm_card_createDispute',
          confirm: true,
          allowed_payment_method_types: ['card'],
        },
        onAccount,
      );
      const [dispute] = emulator.disputesOf(account).filter((d) => d.payment_intent === disputed.id);
      emulator.closeDispute(account, dispute.id, outcome);
      await stripe.disputes.retrieve(dispute.id, { expand: ['charge'] }, onAccount);
    }

    await stripe.balance.retrieve({}, onAccount);
    await stripe.balance.retrieve();
    await stripe.balanceTransactions.list({ limit: 10 }, onAccount);
    await stripe.balanceTransactions.list({ type: 'application_fee' });
    // Reconciliation's reads: a created range, every page, sources expanded (fee refunds to their fee on the platform).
    const range = { gte: Math.floor(Date.now() / 1000) - 3600, lt: Math.ceil(Date.now() / 1000) + 3600 };
    await stripe.balanceTransactions.list({ created: range, limit: 100, expand: ['data.source'] }, onAccount);
    await stripe.balanceTransactions.list({ created: range, limit: 100, expand: ['data.source', 'data.source.fee'] });
    await stripe.applicationFees.list({ limit: 10 });
    const events = await stripe.events.list({ limit: 100 }, onAccount);
    await stripe.events.retrieve(events.data[0].id, {}, onAccount);
    await stripe.events.list({ limit: 100, types: ['customer.created', 'application_fee.created'] });

    const doomed = await stripe.accounts.create({
      type: 'custom',
      country: 'US',
      capabilities: { card_payments: { requested: true } },
    });
    await stripe.accounts.del(doomed.id);
    await stripe.paymentIntents.retrieve('pi_does_not_exist').catch(() => undefined);
  }

  beforeAll(async () => {
    ({ emulator } = await startEmulator());
    await representativeCalls(sdk(emulator, { httpClient: recordingHttpClient(exchanges) }));
  });
  afterAll(() => emulator.close());

  it('every request the SDK sent passes check-request.mjs (method, path, top-level parameters)', async () => {
    // One check per request shape: same method, path pattern and parameter names.
    const shapes = new Map<string, RecordedExchange>();
    for (const exchange of exchanges) shapes.set(requestShape(exchange), exchange);
    const reports = await mapLimited([...shapes.values()], 8, async (exchange) => ({
      exchange,
      report: await checkRequest(exchange.method, exchange.path, exchange.body),
    }));
    const templates = new Set<string>();
    for (const { exchange, report } of reports) {
      const label = `${exchange.method} ${exchange.path} ${exchange.body}`;
      if (report.exitCode === 2) {
        const extension = EXTENSIONS.find(
          (e) =>
            e.startsWith(`${exchange.method} `) &&
            new RegExp(`^${e.split(' ')[1].replace(/\{\w+\}/g, '[^/]+')}(\\?|$)`).test(exchange.path),
        );
        expect(extension, `not in the spec subset: ${label}`).toBeDefined();
        continue;
      }
      expect(report, label).toMatchObject({ ok: true, exitCode: 0, unknown: [], missingRequired: [] });
      templates.add(`${exchange.method} ${report.template}`);
    }
    const specOperations = Object.keys(buildOperationContracts(loadSpec(), {}));
    expect([...templates].sort()).toEqual(specOperations.sort());
  });

  it('every response has the properties, types and enums of its schema in the spec', () => {
    const checker = new SchemaChecker(loadSpec());
    const checked = new Set<string>();
    const problems: string[] = [];
    const checkObject = (value: unknown, where: string): void => {
      const object = field(value, 'object');
      if (object === 'list') {
        const data = field(value, 'data');
        if (
          !Array.isArray(data) ||
          typeof field(value, 'has_more') !== 'boolean' ||
          typeof field(value, 'url') !== 'string'
        ) {
          problems.push(`${where}: malformed list`);
          return;
        }
        data.forEach((item, i) => checkObject(item, `${where}.data[${i}]`));
        return;
      }
      const schema = field(value, 'deleted') === true ? `deleted_${String(object)}` : SCHEMA_BY_OBJECT[String(object)];
      if (!schema || !checker.has(schema)) {
        problems.push(`${where}: no schema for object ${String(object)}`);
        return;
      }
      checked.add(schema);
      problems.push(...checker.check(schema, value).map((problem) => `${where}: ${problem}`));
      if (schema === 'event') checkObject(field(field(value, 'data'), 'object'), `${where}.data.object`);
    };
    for (const exchange of exchanges) {
      const where = `${exchange.method} ${exchange.path}`;
      if (exchange.status === 200) checkObject(exchange.response, where);
      else
        problems.push(
          ...checker.check('error', exchange.response).map((problem) => `${where} (${exchange.status}): ${problem}`),
        );
    }
    expect(problems).toEqual([]);
    expect([...checked].sort()).toEqual([...Object.values(SCHEMA_BY_OBJECT), 'deleted_account'].sort());
  });

  it('the schema check itself catches missing, mistyped and out-of-enum fields', () => {
    const checker = new SchemaChecker(loadSpec());
    const intent = exchanges.find((e) => field(e.response, 'object') === 'payment_intent')?.response;
    expect(intent).toBeDefined();
    const { livemode: _dropped, ...broken } = { ...Object(intent), status: 'almost_done', amount: '12' };
    const problems = checker.check('payment_intent', broken);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('payment_intent.livemode: required but missing'),
        expect.stringContaining('payment_intent.amount: expected integer'),
        expect.stringContaining('payment_intent.status: "almost_done" not in enum'),
      ]),
    );
  });

  it('the committed parameter table matches the spec and the SDK delta', () => {
    const { spec, delta } = loadSpecDocuments(SPEC_DIR);
    expect(OPERATIONS).toEqual(buildOperationContracts(spec, delta));
  });
});
