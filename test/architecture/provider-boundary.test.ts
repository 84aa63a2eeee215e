import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The payment provider boundary: the Stripe adapter (subgraphs/payment/stripe/) implements the neutral port
 * (provider/payment-provider.ts) and imports nothing from the payment domain; nothing outside it imports the Stripe
 * SDK or names a Stripe event.
 */

const payment = path.resolve(new URL('../../subgraphs/payment', import.meta.url).pathname);
const sources = readdirSync(payment, { recursive: true, encoding: 'utf8' }).filter(
  (f) => f.endsWith('.ts') && !/(^|\/)(test|migrations)\//.test(f),
);
const importsOf = (file: string) =>
  [...readFileSync(path.join(payment, file), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
const STRIPE_EVENT = /'(payment_intent|charge|refund|account|application_fee)\.[a-z_.]+'/;

describe('the payment provider boundary', () => {
  it('the Stripe adapter imports only the port, the platform core, its configuration and libraries', () => {
    const adapter = sources.filter((f) => f.startsWith('stripe/'));
    expect(adapter.length).toBeGreaterThanOrEqual(2);
    const domain = adapter.flatMap((f) =>
      importsOf(f)
        .filter((i) => i.startsWith('.'))
        .filter((i) => !/^\.\.\/provider\/|^\.\.\/\.\.\/\.\.\/platform\/|^\.\.\/config\.js$|^\.\/[a-z-]+\.js$/.test(i))
        .map((i) => `${f} imports ${i}`),
    );
    expect(domain).toEqual([]);
  });

  it('nothing outside the adapter imports the Stripe SDK or names a Stripe event', () => {
    const outside = sources.filter((f) => !f.startsWith('stripe/'));
    expect(outside.length).toBeGreaterThan(30);
    const leaks = outside.flatMap((f) => {
      const text = readFileSync(path.join(payment, f), 'utf8');
      return [
        ...(importsOf(f).includes('stripe') ? [`${f} imports stripe`] : []),
        ...(STRIPE_EVENT.test(text) ? [`${f} names ${STRIPE_EVENT.exec(text)![0]}`] : []),
      ];
    });
    expect(leaks).toEqual([]);
  });
});
