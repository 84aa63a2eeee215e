import { createHash } from 'node:crypto';

/**
 * How a charge on a test card ends, like Stripe's test-mode cards. `decline_increments`: the authorization is
 * approved, every incremental authorization of it is declined (the issuer will not raise the hold).
 * `refund_pending` / `refund_fails`: the charge is approved; its refunds settle later (Stripe docs, "Testing",
 * Refunds): they begin `pending` and later succeed, or begin `succeeded` and later fail
 * (`expired_or_canceled_card`). "Later" is when a test settles them (`settleRefund`, README).
 * `dispute_fraudulent`: the charge succeeds, then the cardholder disputes it as fraudulent (docs "Testing", Disputes);
 * the dispute closes when a test says so (`closeDispute`, README).
 */
export type CardOutcome =
  | 'approve'
  | 'decline_generic'
  | 'decline_insufficient_funds'
  | 'require_authentication'
  | 'decline_increments'
  | 'refund_pending'
  | 'refund_fails'
  | 'dispute_fraudulent';

export interface TestCard {
  /** suffix of the shortcut ids: `pm_card_<name>` and `tok_<name>` */
  name: string;
  number: string;
  brand: string;
  country: string;
  funding: 'credit' | 'debit';
  outcome: CardOutcome;
}

const CARDS: readonly TestCard[] = [
  { name: 'visa', number: '4242424242424242', brand: 'visa', country: 'US', funding: 'credit', outcome: 'approve' },
  {
    name: 'mastercard',
    number: '5555555555554444',
    brand: 'mastercard',
    country: 'US',
    funding: 'credit',
    outcome: 'approve',
  },
  {
    name: 'chargeDeclined',
    number: '4000000000000002',
    brand: 'visa',
    country: 'US',
    funding: 'credit',
    outcome: 'decline_generic',
  },
  {
    name: 'chargeDeclinedInsufficientFunds',
    number: '4000000000009995',
    brand: 'visa',
    country: 'US',
    funding: 'credit',
    outcome: 'decline_insufficient_funds',
  },
  {
    name: 'authenticationRequired',
    number: '4000002760003184',
    brand: 'visa',
    country: 'DE',
    funding: 'credit',
    outcome: 'require_authentication',
  },
  // JCB: approves, but incremental authorization is not offered for the brand (Stripe: Visa, Mastercard, American
  // Express, Discover and UnionPay only), so the charge reports `incremental_authorization.status: unavailable`.
  { name: 'jcb', number: '3566002020360505', brand: 'jcb', country: 'JP', funding: 'credit', outcome: 'approve' },
  // Emulator-only (Stripe documents no such card): holds fine, every increment is declined (402 card_declined).
  // Its number is not one of Stripe's (4000000000007726 is Stripe's pending-refund card).
  {
    name: 'incrementDeclined',
    number: '4000000000007700',
    brand: 'visa',
    country: 'US',
    funding: 'credit',
    outcome: 'decline_increments',
  },
  // Stripe's refund test cards: "Asynchronous success" and "Asynchronous failure".
  {
    name: 'pendingRefund',
    number: '4000000000007726',
    brand: 'visa',
    country: 'US',
    funding: 'credit',
    outcome: 'refund_pending',
  },
  {
    name: 'refundFail',
    number: '4000000000005126',
    brand: 'visa',
    country: 'US',
    funding: 'credit',
    outcome: 'refund_fails',
  },
  // Stripe's dispute test card "Fraudulent" (pm_card_createDispute): a dispute opens as soon as the charge is captured.
  {
    name: 'createDispute',
    number: '4000000000000259',
    brand: 'visa',
    country: 'US',
    funding: 'credit',
    outcome: 'dispute_fraudulent',
  },
];

/** Card brands whose authorizations Stripe can increment (docs: "Increment an authorization", Availability). */
export const INCREMENTAL_AUTHORIZATION_BRANDS: ReadonlySet<string> = new Set([
  'visa',
  'mastercard',
  'amex',
  'discover',
  'unionpay',
]);

/** `pm_card_visa` and friends: shortcut ids that exist on every account in test mode. */
export function testCardByPaymentMethodId(id: string): TestCard | undefined {
  return CARDS.find((card) => `pm_card_${card.name}` === id);
}

export function testCardByToken(token: string): TestCard | undefined {
  return CARDS.find((card) => `tok_${card.name}` === token);
}

export function testCardByNumber(number: string): TestCard | undefined {
  const digits = number.replaceAll(/\s/g, '');
  return CARDS.find((card) => card.number === digits);
}

/** Stable per card number, as Stripe's fingerprints are. */
export function cardFingerprint(card: TestCard): string {
  return createHash('sha256').update(card.number).digest('base64url').slice(0, 16);
}
