import { request as httpRequest } from 'node:http';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { sdk, startEmulator, TEST_KEY } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
beforeEach(() => emulator.reset());
afterAll(() => emulator.close());

const PI = { method: 'POST', pathPrefix: '/v1/payment_intents' };

async function intentCount(): Promise<number> {
  return (await stripe.paymentIntents.list({ limit: 100 })).data.length;
}

function statuses(): number[] {
  return emulator
    .requests()
    .filter((r) => r.path === '/v1/payment_intents' && r.method === 'POST')
    .map((r) => r.status);
}

describe('fault injection', () => {
  it('http500: fails without performing; the SDK retry with the same key succeeds once', async () => {
    emulator.faults.injectNext('http500', PI);
    const intent = await sdk(emulator, { maxNetworkRetries: 1 }).paymentIntents.create({
      amount: 1000,
      currency: 'eur',
    });
    expect(statuses()).toEqual([500, 200]);
    const [first, second] = emulator.requests();
    expect(second.idempotencyKey).toBe(first.idempotencyKey);
    expect(await intentCount()).toBe(1);
    expect(intent.lastResponse.headers['idempotent-replayed']).toBeUndefined();
  });

  it('http500 without retries surfaces as StripeAPIError and creates nothing', async () => {
    emulator.faults.injectNext('http500');
    await expect(stripe.paymentIntents.create({ amount: 1000, currency: 'eur' })).rejects.toMatchObject({
      type: 'StripeAPIError',
      statusCode: 500,
      rawType: 'api_error',
    });
    expect(await intentCount()).toBe(0);
  });

  it('http429: a rate-limit error the SDK does not retry; nothing is performed', async () => {
    emulator.faults.injectNext('http429', PI);
    const attempt = sdk(emulator, { maxNetworkRetries: 2 }).paymentIntents.create({ amount: 1000, currency: 'eur' });
    await expect(attempt).rejects.toMatchObject({ type: 'StripeRateLimitError', statusCode: 429, code: 'rate_limit' });
    expect(statuses()).toEqual([429]);
    expect(await intentCount()).toBe(0);
  });

  it('timeout: never answers; the SDK gives up, retries with the same key and succeeds once', async () => {
    emulator.faults.injectNext('timeout', PI);
    const intent = await sdk(emulator, { maxNetworkRetries: 1, timeout: 200 }).paymentIntents.create({
      amount: 1000,
      currency: 'eur',
    });
    expect(intent.status).toBe('requires_payment_method');
    expect(statuses()).toEqual([0, 200]);
    expect(await intentCount()).toBe(1);
  });

  it('timeout without retries surfaces as StripeConnectionError', async () => {
    emulator.faults.injectNext('timeout');
    const attempt = sdk(emulator, { timeout: 100 }).customers.create({});
    await expect(attempt).rejects.toMatchObject({ type: 'StripeConnectionError' });
  });

  it('lostResponse: performs the operation, drops the answer; the retry replays the same object', async () => {
    emulator.faults.injectNext('lostResponse', PI);
    const intent = await sdk(emulator, { maxNetworkRetries: 1 }).paymentIntents.create({
      amount: 1000,
      currency: 'eur',
    });
    expect(statuses()).toEqual([0, 200]);
    expect(intent.lastResponse.headers['idempotent-replayed']).toBe('true');
    const all = await stripe.paymentIntents.list({ limit: 100 });
    expect(all.data.map((i) => i.id)).toEqual([intent.id]);
  });

  it('a fault waits for the request it matches and is consumed once', async () => {
    emulator.faults.injectNext('http500', { method: 'GET', pathPrefix: '/v1/balance' });
    await stripe.customers.create({});
    await expect(stripe.balance.retrieve()).rejects.toMatchObject({ statusCode: 500 });
    await expect(stripe.balance.retrieve()).resolves.toMatchObject({ object: 'balance' });
    emulator.faults.injectNext('http500');
    emulator.faults.clear();
    await expect(stripe.customers.create({})).resolves.toMatchObject({ object: 'customer' });
  });
});

describe('close()', () => {
  it('ends requests held by a timeout fault', async () => {
    const { emulator: local } = await startEmulator();
    local.faults.injectNext('timeout');
    const held = new Promise<string>((resolve) => {
      const req = httpRequest(
        { host: local.host, port: local.port, path: '/v1/balance', headers: { Authorization: `Bearer ${TEST_KEY}` } },
        () => resolve('answered'),
      );
      req.on('error', (error) => resolve(`error: ${error.message}`));
      req.end();
    });
    while (local.requests().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await local.close();
    expect(await held).toMatch(/^error: /);
  });
});
