import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StripeEmulator } from '../../dev/stripe-emulator/index.js';
import { CARD_ONLY, chargeableAccount, rejectionOf, sdk, startEmulator, TEST_KEY } from './support/harness.js';

let emulator: StripeEmulator;
let stripe: Stripe;

beforeAll(async () => {
  ({ emulator, stripe } = await startEmulator());
});
afterAll(() => emulator.close());

function replayed(object: { lastResponse: { headers: Record<string, string> } }): string | undefined {
  return object.lastResponse.headers['idempotent-replayed'];
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** A POST whose body arrives in two parts: the emulator holds the key while waiting for the rest. */
function slowPost(
  path: string,
  key: string,
  body: string,
): { finish(): void; response: Promise<{ status: number; body: string }> } {
  let req: ClientRequest | undefined;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = httpRequest(
      {
        host: emulator.host,
        port: emulator.port,
        path,
        method: 'POST',
        headers: {
          Authorization: `Bearer ${TEST_KEY}`,
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
          'Idempotency-Key': key,
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 5));
  });
  return { finish: () => req?.end(body.slice(5)), response };
}

describe('idempotency', () => {
  it('replays the saved response for the same key and parameters', async () => {
    const params = { amount: 1500, currency: 'eur', description: 'same' };
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'replay-1' });
    const second = await stripe.paymentIntents.create(params, { idempotencyKey: 'replay-1' });
    expect(second.id).toBe(first.id);
    expect(replayed(first)).toBeUndefined();
    expect(replayed(second)).toBe('true');
    expect(second.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId);
    expect(second.lastResponse.requestId).not.toBe(first.lastResponse.requestId);
    const created = (await stripe.events.list({ type: 'payment_intent.created' })).data.filter(
      (e) => (e.data.object as Stripe.PaymentIntent).id === first.id,
    );
    expect(created).toHaveLength(1);
    expect(created[0].request).toEqual({ id: first.lastResponse.requestId, idempotency_key: 'replay-1' });
  });

  it('refuses the same key with other parameters or another endpoint', async () => {
    await stripe.paymentIntents.create({ amount: 1500, currency: 'eur' }, { idempotencyKey: 'mismatch-1' });
    const otherParams = stripe.paymentIntents.create(
      { amount: 1600, currency: 'eur' },
      { idempotencyKey: 'mismatch-1' },
    );
    await expect(otherParams).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      statusCode: 400,
      rawType: 'idempotency_error',
    });
    const otherEndpoint = stripe.customers.create({}, { idempotencyKey: 'mismatch-1' });
    await expect(otherEndpoint).rejects.toMatchObject({
      type: 'StripeIdempotencyError',
      message: expect.stringContaining('same endpoint'),
    });
  });

  it('scopes keys per account', async () => {
    const { account } = await chargeableAccount(emulator, stripe);
    const onPlatform = await stripe.customers.create({ email: 'x@example.test' }, { idempotencyKey: 'scoped-1' });
    const onAccount = await stripe.customers.create(
      { email: 'x@example.test' },
      { idempotencyKey: 'scoped-1', stripeAccount: account },
    );
    expect(onAccount.id).not.toBe(onPlatform.id);
    expect(replayed(onAccount)).toBeUndefined();
  });

  it('replays a decline (402) without charging again', async () => {
    const { account } = await chargeableAccount(emulator, stripe);
    const params = {
      amount: 1500,
      currency: 'eur',
      payment_method: 'pm_card_chargeDeclined',
      confirm: true,
      ...CARD_ONLY,
    };
    const options = { stripeAccount: account, idempotencyKey: 'decline-1' };
    const first = await rejectionOf(stripe.paymentIntents.create(params, options));
    const second = await rejectionOf(stripe.paymentIntents.create(params, options));
    expect(first).toMatchObject({ type: 'StripeCardError', decline_code: 'generic_decline' });
    expect(second).toMatchObject({ type: 'StripeCardError', decline_code: 'generic_decline' });
    expect(second.payment_intent?.id).toBe(first.payment_intent?.id);
    expect(second.charge).toBe(first.charge);
    expect(second.headers?.['idempotent-replayed']).toBe('true');
    const intents = await stripe.paymentIntents.list({}, { stripeAccount: account });
    expect(intents.data).toHaveLength(1);
  });

  it('does not save parameter validation errors: the key stays usable', async () => {
    const bad = stripe.paymentIntents.create(
      { amount: 1500, currency: 'eur', bogus: 1 } as Stripe.PaymentIntentCreateParams,
      {
        idempotencyKey: 'validation-1',
      },
    );
    await expect(bad).rejects.toMatchObject({ code: 'parameter_unknown' });
    const good = await stripe.paymentIntents.create(
      { amount: 1500, currency: 'eur' },
      { idempotencyKey: 'validation-1' },
    );
    expect(replayed(good)).toBeUndefined();
  });

  it('answers 409 idempotency_key_in_use while the first request is still running', async () => {
    const slow = slowPost('/v1/customers', 'in-flight-1', 'email=slow%40example.test');
    await until(() => emulator.requests().some((r) => r.idempotencyKey === 'in-flight-1'));
    const concurrent = stripe.customers.create({ email: 'slow@example.test' }, { idempotencyKey: 'in-flight-1' });
    await expect(concurrent).rejects.toMatchObject({
      type: 'StripeAPIError',
      statusCode: 409,
      code: 'idempotency_key_in_use',
    });
    slow.finish();
    const first = await slow.response;
    expect(first.status).toBe(200);
    const replay = await stripe.customers.create({ email: 'slow@example.test' }, { idempotencyKey: 'in-flight-1' });
    expect(replay.id).toBe((JSON.parse(first.body) as { id: string }).id);
  });

  it('lets the SDK retry a 409 until the first request has finished', async () => {
    const slow = slowPost('/v1/customers', 'in-flight-2', 'email=retry%40example.test');
    await until(() => emulator.requests().some((r) => r.idempotencyKey === 'in-flight-2'));
    const retrying = sdk(emulator, { maxNetworkRetries: 2 }).customers.create(
      { email: 'retry@example.test' },
      { idempotencyKey: 'in-flight-2' },
    );
    await until(() => emulator.requests().some((r) => r.idempotencyKey === 'in-flight-2' && r.status === 409));
    slow.finish();
    const [first, retried] = await Promise.all([slow.response, retrying]);
    expect(retried.id).toBe((JSON.parse(first.body) as { id: string }).id);
    expect(replayed(retried)).toBe('true');
    expect(
      emulator
        .requests()
        .filter((r) => r.idempotencyKey === 'in-flight-2')
        .map((r) => r.status),
    ).toEqual([200, 409, 200]);
  });
});
