import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStripeEmulator, type StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { SAVE_DELAY_MS } from '../../dev/stripe-emulator/state/persistence.js';
import { CARD_ONLY, cloneCard, platformCustomerWithCard, rejectionOf, sdk } from './support/harness.js';

let dir: string;
let dataFile: string;
const running: StripeEmulator[] = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stripe-emulator-persistence-'));
  dataFile = path.join(dir, 'nested', 'stripe-emulator.json');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
  await rm(dir, { recursive: true, force: true });
});

async function start(log?: (message: string) => void): Promise<{ emulator: StripeEmulator; stripe: Stripe }> {
  const emulator = await startStripeEmulator({ port: 0, dataFile, log: log ?? (() => {}) });
  running.push(emulator);
  return { emulator, stripe: sdk(emulator) };
}

async function stop(emulator: StripeEmulator): Promise<void> {
  running.splice(running.indexOf(emulator), 1);
  await emulator.close();
}

function replayed(object: { lastResponse: { headers: Record<string, string> } }): string | undefined {
  return object.lastResponse.headers['idempotent-replayed'];
}

/** Everything the SDK can see of one connected account and the platform, for a before/after comparison. */
async function observe(
  emulator: StripeEmulator,
  stripe: Stripe,
  ids: { account: string; intent: string; charge: string; refund: string },
) {
  const on = { stripeAccount: ids.account };
  const all = { limit: 100 };
  return {
    account: await stripe.accounts.retrieve(ids.account),
    accounts: (await stripe.accounts.list(all)).data,
    intent: await stripe.paymentIntents.retrieve(ids.intent, {}, on),
    intents: (await stripe.paymentIntents.list(all, on)).data,
    charge: await stripe.charges.retrieve(ids.charge, {}, on),
    refund: await stripe.refunds.retrieve(ids.refund, {}, on),
    paymentMethods: (await stripe.paymentMethods.list(all, on)).data,
    platformCustomers: (await stripe.customers.list(all)).data,
    platformPaymentMethods: (await stripe.paymentMethods.list(all)).data,
    balances: {
      account: emulator.balanceOf(ids.account, 'eur'),
      platform: emulator.balanceOf('platform', 'eur'),
    },
    balance: await stripe.balance.retrieve({}, on),
    platformBalance: await stripe.balance.retrieve(),
    balanceTransactions: (await stripe.balanceTransactions.list(all, on)).data,
    platformBalanceTransactions: (await stripe.balanceTransactions.list(all)).data,
    applicationFees: (await stripe.applicationFees.list(all)).data,
    events: (await stripe.events.list(all, on)).data,
    platformEvents: (await stripe.events.list(all)).data,
  };
}

describe('persistence (dataFile)', () => {
  it('restores accounts, cards, intents, charges, refunds, balances, events and idempotent results after a restart', async () => {
    const first = await start();
    let stripe = first.stripe;

    // A connected account onboarded through an account link; a second link stays unused.
    const created = await stripe.accounts.create({ type: 'express', country: 'DE', email: 'operator@example.test' });
    const links: Stripe.AccountLinkCreateParams = {
      account: created.id,
      type: 'account_onboarding',
      return_url: 'https://example.test/return',
      refresh_url: 'https://example.test/refresh',
    };
    const used = await stripe.accountLinks.create(links);
    const unused = await stripe.accountLinks.create(links);
    expect((await fetch(used.url)).status).toBe(200);

    const saved = await platformCustomerWithCard(stripe);
    const paymentMethod = await cloneCard(stripe, created.id, saved);
    const declining = await cloneCard(
      stripe,
      created.id,
      await platformCustomerWithCard(stripe, 'pm_card_chargeDeclined'),
    );
    const on = { stripeAccount: created.id };

    const holdParams: Stripe.PaymentIntentCreateParams = {
      amount: 5000,
      currency: 'eur',
      payment_method: paymentMethod,
      capture_method: 'manual',
      confirm: true,
      off_session: true,
      ...CARD_ONLY,
    };
    const hold = await stripe.paymentIntents.create(holdParams, { ...on, idempotencyKey: 'hold-1' });
    expect(hold.status).toBe('requires_capture');
    const captureParams = { amount_to_capture: 4500, application_fee_amount: 300 };
    const captured = await stripe.paymentIntents.capture(hold.id, captureParams, {
      ...on,
      idempotencyKey: 'capture-1',
    });
    expect(captured).toMatchObject({ status: 'succeeded', amount_received: 4500, application_fee_amount: 300 });
    const refund = await stripe.refunds.create(
      { payment_intent: hold.id, amount: 1000, refund_application_fee: true },
      { ...on, idempotencyKey: 'refund-1' },
    );

    const ids = { account: created.id, intent: hold.id, charge: String(captured.latest_charge), refund: refund.id };
    const before = await observe(first.emulator, stripe, ids);
    expect(before.account.charges_enabled).toBe(true);
    expect(before.balanceTransactions.map((txn) => txn.type)).toEqual(['application_fee_refund', 'refund', 'charge']);

    await stop(first.emulator);
    const file = JSON.parse(await readFile(dataFile, 'utf8')) as { version: number };
    expect(file.version).toBe(1);
    expect(existsSync(path.dirname(dataFile))).toBe(true);

    const second = await start();
    stripe = second.stripe;
    const after = await observe(second.emulator, stripe, ids);
    expect(after).toEqual(before);
    expect(after.account.charges_enabled).toBe(true);
    expect(after.intent).toMatchObject({
      status: 'succeeded',
      amount: 5000,
      amount_received: 4500,
      application_fee_amount: 300,
    });
    // 500 of the hold was released at capture, 1000 refunded.
    expect(after.charge).toMatchObject({ amount_captured: 4500, amount_refunded: 1500, application_fee_amount: 300 });
    expect(after.balances.account.available).toBe(before.balances.account.available);
    expect(after.balances.platform.available).toBe(before.balances.platform.available);

    // A retry with a key used before the restart replays the stored response.
    const replay = await stripe.paymentIntents.capture(hold.id, captureParams, { ...on, idempotencyKey: 'capture-1' });
    expect(replayed(replay)).toBe('true');
    expect(replay.lastResponse.headers['original-request']).toBe(captured.lastResponse.requestId);
    expect({ ...replay }).toEqual({ ...captured });
    const holdReplay = await stripe.paymentIntents.create(holdParams, { ...on, idempotencyKey: 'hold-1' });
    expect(replayed(holdReplay)).toBe('true');
    expect(holdReplay.id).toBe(hold.id);
    expect((await stripe.paymentIntents.list({ limit: 100 }, on)).data).toHaveLength(1);
    const mismatch = await rejectionOf(
      stripe.refunds.create({ payment_intent: hold.id, amount: 500 }, { ...on, idempotencyKey: 'refund-1' }),
    );
    expect(mismatch.type).toBe('StripeIdempotencyError');

    // The restored state keeps working: refund objects stay linked to their charge, cards keep their
    // test behaviour, and unused account links still open.
    await stripe.refunds.update(refund.id, { metadata: { ticket: 't_9' } }, on);
    const charge = await stripe.charges.retrieve(ids.charge, {}, on);
    expect(charge.refunds?.data[0]).toMatchObject({ id: refund.id, metadata: { ticket: 't_9' } });
    const declined = await rejectionOf(stripe.paymentIntents.create({ ...holdParams, payment_method: declining }, on));
    expect(declined).toMatchObject({ type: 'StripeCardError', code: 'card_declined' });
    // (the link names the first emulator's ephemeral port; the dev stack keeps a fixed one)
    expect((await fetch(new URL(new URL(unused.url).pathname, second.emulator.url))).status).toBe(200);
    const fresh = await stripe.paymentIntents.create(holdParams, on);
    expect(fresh).toMatchObject({ status: 'requires_capture', application: after.charge.application });
    expect((await stripe.paymentIntents.list({ limit: 100 }, on)).data.map((intent) => intent.id)).toEqual([
      fresh.id,
      expect.stringMatching(/^pi_/),
      hold.id,
    ]);
  });

  it('saves shortly after a change, without waiting for close()', async () => {
    const { stripe } = await start();
    const customer = await stripe.customers.create({ email: 'driver@example.test' });
    // GET with a test-card shortcut creates a payment method: a change too.
    const method = await stripe.paymentMethods.retrieve('pm_card_visa');
    await new Promise((resolve) => setTimeout(resolve, SAVE_DELAY_MS + 150));
    const text = await readFile(dataFile, 'utf8');
    expect(text).toContain(customer.id);
    expect(text).toContain(method.id);
    expect(existsSync(`${dataFile}.${process.pid}.tmp`)).toBe(false);
  });

  it('reset() removes the file and the restarted emulator starts empty', async () => {
    const { emulator, stripe } = await start();
    await stripe.accounts.create({ type: 'express', country: 'DE' });
    await stop(emulator);
    expect(existsSync(dataFile)).toBe(true);

    const second = await start();
    expect((await second.stripe.accounts.list()).data).toHaveLength(1);
    second.emulator.reset();
    expect(existsSync(dataFile)).toBe(false);
    await stop(second.emulator);
    expect(existsSync(dataFile)).toBe(false);

    const third = await start();
    expect((await third.stripe.accounts.list()).data).toEqual([]);
  });

  it.each([
    ['not JSON', '{"version": 1, "platform": ', /unusable \(.*JSON.*\)/],
    [
      'another format version',
      '{"version": 2, "platform": {}}',
      /unusable \(version: found 2, this emulator reads version 1\)/,
    ],
    [
      'a damaged version-1 file',
      '{"version": 1, "applicationId": "ca_x", "platform": {"account": {"id": "acct_platform"}}}',
      /unusable \(platform\.account\.object: expected 'account'\)/,
    ],
  ])('starts empty with a warning on %s, keeping the file aside', async (_name, content, reason) => {
    await mkdir(path.dirname(dataFile), { recursive: true });
    await writeFile(dataFile, content);
    const messages: string[] = [];
    const { stripe } = await start((message) => messages.push(message));

    const warning = messages.find((message) => message.startsWith('WARNING'));
    expect(warning).toMatch(reason);
    expect(warning).toContain('starting with an empty state');
    expect(warning).toContain(`${dataFile}.invalid`);
    expect(await readFile(`${dataFile}.invalid`, 'utf8')).toBe(content);
    expect((await stripe.accounts.list()).data).toEqual([]);
    // …and works, saving a fresh file.
    const account = await stripe.accounts.create({ type: 'express', country: 'DE' });
    expect(account.charges_enabled).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, SAVE_DELAY_MS + 150));
    expect(JSON.parse(await readFile(dataFile, 'utf8'))).toMatchObject({ version: 1 });
  });
});
