import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, chargeableAccount, onboardedAccount, startEmulator } from './support/harness.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const PLATFORM_SECRET = 'whsec_test_platform';
const CONNECT_SECRET = 'whsec_test_connect';

let emulator: StripeEmulator;
let stripe: Stripe;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  ({ emulator, stripe } = await startEmulator({
    webhookSecret: PLATFORM_SECRET,
    connectWebhookSecret: CONNECT_SECRET,
    webhookUrl: receiver.url,
  }));
});
afterEach(async () => {
  await emulator.flushWebhooks();
  receiver.deliveries.length = 0;
});
afterAll(async () => {
  await emulator.close();
  await receiver.close();
});

describe('webhooks', () => {
  it('signs platform events with the platform secret and Connect events with the Connect secret', async () => {
    const { account, paymentMethod } = await chargeableAccount(emulator, stripe);
    await stripe.paymentIntents.create(
      {
        amount: 2000,
        currency: 'eur',
        payment_method: paymentMethod,
        confirm: true,
        application_fee_amount: 100,
        ...CARD_ONLY,
      },
      { stripeAccount: account },
    );
    await emulator.flushWebhooks();

    const verified = receiver.deliveries.map(({ body, signature }) => {
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const isConnect = (JSON.parse(body) as { account?: string }).account !== undefined;
      const event = stripe.webhooks.constructEvent(body, signature, isConnect ? CONNECT_SECRET : PLATFORM_SECRET);
      expect(() =>
        stripe.webhooks.constructEvent(body, signature, isConnect ? PLATFORM_SECRET : CONNECT_SECRET),
      ).toThrow(Stripe.errors.StripeSignatureVerificationError);
      return event;
    });
    const connect = verified.filter((event) => event.account === account).map((event) => event.type);
    expect(connect).toEqual([
      'account.updated',
      'payment_intent.created',
      'charge.succeeded',
      'payment_intent.succeeded',
    ]);
    const platform = verified.filter((event) => event.account === undefined).map((event) => event.type);
    expect(platform).toEqual(
      expect.arrayContaining(['customer.created', 'payment_method.attached', 'application_fee.created']),
    );
    const succeeded = verified.find((event) => event.type === 'payment_intent.succeeded');
    expect(succeeded).toMatchObject({
      api_version: Stripe.API_VERSION,
      livemode: false,
      data: { object: { object: 'payment_intent', status: 'succeeded' } },
    });
  });

  it('delivers the same event again after the receiver fails', async () => {
    receiver.failNext(2);
    const customer = await stripe.customers.create({ email: 'retry@example.test' });
    await emulator.flushWebhooks();
    const events = receiver.events();
    expect(events.map((e) => e.type)).toEqual(['customer.created']);
    const [event] = (await stripe.events.list({ type: 'customer.created', limit: 1 })).data;
    expect(event.id).toBe(events[0].id);
    expect((event.data.object as Stripe.Customer).id).toBe(customer.id);
    expect(event.pending_webhooks).toBe(0);
  });

  it('delivers asynchronously: the API answers while the receiver is still busy', async () => {
    const release = receiver.stallDeliveries();
    const account = await onboardedAccount(emulator, stripe);
    expect(receiver.deliveries).toHaveLength(0);
    release();
    await emulator.flushWebhooks();
    expect(receiver.events()).toContainEqual(expect.objectContaining({ type: 'account.updated', account }));
  });

  it('sends nothing while no URL is set', async () => {
    emulator.setWebhookUrl(undefined);
    try {
      await stripe.customers.create({});
      await emulator.flushWebhooks();
      expect(receiver.deliveries).toHaveLength(0);
      const [event] = (await stripe.events.list({ limit: 1 })).data;
      expect(event).toMatchObject({ type: 'customer.created', pending_webhooks: 0 });
    } finally {
      emulator.setWebhookUrl(receiver.url);
    }
  });
});

describe('webhooks in parallel (webhookConcurrency)', () => {
  it('has at most that many deliveries under way, and delivers every event once', async () => {
    let underWay = 0;
    let most = 0;
    const delivered: string[] = [];
    const slow = http.createServer((req, res) => {
      underWay += 1;
      most = Math.max(most, underWay);
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () =>
        setTimeout(() => {
          delivered.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id);
          underWay -= 1;
          res.end('ok');
        }, 30),
      );
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const { emulator: parallel, stripe: client } = await startEmulator({
      webhookUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`,
      webhookConcurrency: 4,
    });
    try {
      for (let i = 0; i < 12; i++) await client.customers.create({});
      await parallel.flushWebhooks();
      expect(delivered).toHaveLength(12);
      expect(new Set(delivered).size).toBe(12);
      expect(most).toBeGreaterThan(1);
      expect(most).toBeLessThanOrEqual(4);
    } finally {
      await parallel.close();
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
