import { createHash } from 'node:crypto';

/**
 * Idempotency keys towards the provider, derived from OUR ids only: a retry after a crash, a timeout or a lost
 * response sends the same key with the same parameters, so the provider replays its first answer instead of
 * charging twice. A new attempt (after FAILED/CANCELED) has a new number and therefore new keys.
 */
export const idempotencyKey = {
  account: (operatorId: string) => key('account', operatorId),
  customer: (driverId: string) => key('customer', driverId),
  attach: (driverId: string, paymentMethodId: string) => key('attach', driverId, paymentMethodId),
  clone: (paymentId: string, attempt: number) => key('clone', paymentId, attempt),
  hold: (paymentId: string, attempt: number) => key('hold', paymentId, attempt),
  capture: (paymentId: string, attempt: number) => key('capture', paymentId, attempt),
  cancel: (paymentId: string, attempt: number) => key('cancel', paymentId, attempt),
  charge: (paymentId: string, attempt: number) => key('charge', paymentId, attempt),
  /** One per target amount: a retry of the same increment replays, a higher target is a new request. */
  increment: (paymentId: string, attempt: number, amount: number) => key('increment', paymentId, attempt, amount),
  refund: (refundId: string) => key('refund', refundId),
};

const MAX_KEY_LENGTH = 255;

function key(kind: string, ...parts: Array<string | number>): string {
  const full = [kind, ...parts].join(':');
  // Driver ids are token subjects of any length; the provider caps keys at 255 characters.
  return full.length <= MAX_KEY_LENGTH ? full : `${kind}:sha256:${createHash('sha256').update(full).digest('hex')}`;
}
