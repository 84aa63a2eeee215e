import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { sdk, startEmulator, TEST_KEY } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

async function api(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: { error?: Record<string, unknown> } & Record<string, unknown> }> {
  const response = await fetch(`${emulator.url}${path}`, init);
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

const auth = { Authorization: `Bearer ${TEST_KEY}` };

describe('HTTP surface', () => {
  it('exposes what the SDK needs', () => {
    expect(emulator.clientOptions).toEqual({ host: '127.0.0.1', port: emulator.port, protocol: 'http' });
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
  });

  it('requires a test secret key (401 otherwise)', async () => {
    const missing = await api('/v1/balance');
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('did not provide an API key'),
    });
    await expect(
      sdk(emulator, {}).balance.retrieve({}, { apiKey: ['sk', 'live', 'nope'].join('_') }),
    ).rejects.toMatchObject({
      type: 'StripeAuthenticationError',
      statusCode: 401,
    });
    const basic = await api('/v1/balance', {
      headers: { Authorization: `Basic ${Buffer.from(`${TEST_KEY}:`).toString('base64')}` },
    });
    expect(basic.status).toBe(200);
  });

  it('answers unknown URLs with 404 and a Request-Id on every response', async () => {
    const unknown = await api('/v1/nope', { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('Unrecognized request URL (GET: /v1/nope)'),
    });
    expect(unknown.headers.get('request-id')).toMatch(/^req_[0-9A-Za-z]{14}$/);
    const wrongMethod = await api('/v1/balance', { method: 'DELETE', headers: auth });
    expect(wrongMethod.status).toBe(404);
  });

  it('reads GET parameters from the query string, arrays included', async () => {
    await stripe.customers.create({ email: 'q@example.test' });
    const listed = await api('/v1/customers?email=q%40example.test&limit=1&expand[]=data.default_source', {
      headers: auth,
    });
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ object: 'list', url: '/v1/customers', has_more: false });
    const bad = await api('/v1/customers?limit=0', { headers: auth });
    expect(bad.body.error).toMatchObject({ param: 'limit' });
  });

  it('refuses JSON bodies as Stripe’s v1 API does', async () => {
    const response = await api('/v1/customers', {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'json@example.test' }),
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({
      type: 'invalid_request_error',
      message: expect.stringContaining('x-www-form-urlencoded'),
    });
  });

  it('expands ids on request', async () => {
    const customer = await stripe.customers.create({ email: 'e@example.test' });
    const intent = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      customer: customer.id,
      expand: ['customer'],
    });
    expect(intent.customer).toMatchObject({ id: customer.id, object: 'customer' });
    const list = await stripe.paymentIntents.list({ customer: customer.id, expand: ['data.customer'] });
    expect(list.data[0].customer).toMatchObject({ id: customer.id });
  });

  it('logs requests for inspection and forgets everything on reset()', async () => {
    const { emulator: local, stripe: client } = await startEmulator();
    try {
      await client.customers.create({}, { idempotencyKey: 'log-1' });
      await client.balance.retrieve({}, { stripeAccount: 'acct_unknown' }).catch(() => undefined);
      expect(local.requests()).toEqual([
        { method: 'POST', path: '/v1/customers', idempotencyKey: 'log-1', status: 200 },
        { method: 'GET', path: '/v1/balance', account: 'acct_unknown', status: 403 },
      ]);
      local.reset();
      expect(local.requests()).toEqual([]);
      expect((await client.customers.list()).data).toEqual([]);
      expect(local.balanceOf('platform', 'usd')).toEqual({ available: 0, pending: 0 });
      expect(() => local.balanceOf('acct_unknown', 'usd')).toThrow();
    } finally {
      await local.close();
    }
  });
});
