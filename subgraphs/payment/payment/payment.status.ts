import { registerEnumType } from 'type-graphql';

/** Provider-neutral state of a session's payment. */
export enum PaymentStatus {
  /** Recorded before the provider call, so a crash or retry replays the same idempotency keys. */
  PENDING = 'PENDING',
  /** The card issuer wants the driver to authenticate (3-D Secure) before the hold or charge completes. */
  REQUIRES_ACTION = 'REQUIRES_ACTION',
  /** A hold is placed on the operator's account and waits for the final amount. */
  AUTHORIZED = 'AUTHORIZED',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELED = 'CANCELED',
}
registerEnumType(PaymentStatus, {
  name: 'PaymentStatus',
  description: "Where a session's payment stands; it only moves forward.",
});

/**
 * The forward-only state machine of one attempt. Every write of a status goes through `assertTransition`, under the
 * session's lock and the row's optimistic version, so a late or replayed webhook can never move a payment back.
 */
const TRANSITIONS: Record<PaymentStatus, readonly PaymentStatus[]> = {
  [PaymentStatus.PENDING]: [
    PaymentStatus.REQUIRES_ACTION,
    PaymentStatus.AUTHORIZED,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.FAILED,
    PaymentStatus.CANCELED,
  ],
  [PaymentStatus.REQUIRES_ACTION]: [
    PaymentStatus.AUTHORIZED,
    PaymentStatus.SUCCEEDED,
    PaymentStatus.FAILED,
    PaymentStatus.CANCELED,
  ],
  [PaymentStatus.AUTHORIZED]: [PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED],
  [PaymentStatus.SUCCEEDED]: [],
  [PaymentStatus.FAILED]: [],
  [PaymentStatus.CANCELED]: [],
};

export const canTransition = (from: PaymentStatus, to: PaymentStatus): boolean =>
  from === to || TRANSITIONS[from].includes(to);

export function assertTransition(from: PaymentStatus, to: PaymentStatus): void {
  if (!canTransition(from, to)) throw new Error(`payment state machine: ${from} → ${to} is not allowed`);
}

/**
 * A FAILED or CANCELED attempt is final, but the session still has to be paid: a new attempt (attempt + 1, fresh
 * idempotency keys) starts again at PENDING. Only the charge path opens one, under the session lock.
 */
export const canStartNewAttempt = (status: PaymentStatus): boolean =>
  status === PaymentStatus.FAILED || status === PaymentStatus.CANCELED;

/** Which provider operation the current attempt stands for. */
export enum AttemptKind {
  /** Manual-capture PaymentIntent placed when the session starts. */
  HOLD = 'HOLD',
  /** Automatic-capture off-session PaymentIntent for the final amount. */
  CHARGE = 'CHARGE',
}

export enum DisputeStatus {
  OPEN = 'OPEN',
  WON = 'WON',
  LOST = 'LOST',
}
registerEnumType(DisputeStatus, { name: 'DisputeStatus', description: 'A card dispute on the payment, if any.' });

/** Disputes open, then close won or lost; a late `created` after `closed` changes nothing. */
export function nextDisputeStatus(current: DisputeStatus | null | undefined, incoming: DisputeStatus): DisputeStatus {
  if (!current) return incoming;
  if (current === DisputeStatus.OPEN) return incoming;
  return current;
}
