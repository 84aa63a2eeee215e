import { DomainError, ErrorCode } from '../../platform/errors.js';

/** The payment subgraph's client errors, each with its own stable code from platform/errors.ts. */
export type PaymentErrorCode =
  | typeof ErrorCode.SESSION_NOT_COMPLETED
  | typeof ErrorCode.SESSION_NOT_ACTIVE
  | typeof ErrorCode.PAYMENT_METHOD_REQUIRED
  | typeof ErrorCode.PAYMENT_NOT_REFUNDABLE
  | typeof ErrorCode.REFUND_EXCEEDS_REMAINING
  | typeof ErrorCode.OPERATOR_NOT_PAYABLE
  | typeof ErrorCode.PAYMENT_DECLINED
  | typeof ErrorCode.PAYMENT_ACTION_REQUIRED
  | typeof ErrorCode.PAYMENT_PROVIDER_UNAVAILABLE;

export type DomainErrorArgs = ConstructorParameters<typeof DomainError>;

export const paymentErrorArgs = (
  code: PaymentErrorCode,
  message: string,
  details?: Record<string, unknown>,
): DomainErrorArgs => [code, message, details];

export const paymentError = (...args: Parameters<typeof paymentErrorArgs>): DomainError =>
  new DomainError(...paymentErrorArgs(...args));

export const sessionNotCompleted = (status: string) =>
  paymentError('SESSION_NOT_COMPLETED', `The session is ${status}; it can be charged once it is COMPLETED.`, {
    sessionStatus: status,
  });
export const sessionNotActive = (status: string) =>
  paymentError('SESSION_NOT_ACTIVE', `The session is ${status}; a hold can only be placed on an ACTIVE session.`, {
    sessionStatus: status,
  });
export const paymentMethodRequired = () =>
  paymentError('PAYMENT_METHOD_REQUIRED', 'The driver has no saved card to charge; save one with savePaymentMethod.');
export const operatorNotPayable = () =>
  paymentError(
    'OPERATOR_NOT_PAYABLE',
    'This operator cannot take payments yet: its payment account onboarding is not complete.',
  );
export const paymentNotRefundable = (status: string) =>
  paymentError('PAYMENT_NOT_REFUNDABLE', `Only succeeded payments can be refunded; this one is ${status}.`, {
    paymentStatus: status,
  });
export const paymentDisputed = (disputeStatus: string) =>
  paymentError(
    'PAYMENT_NOT_REFUNDABLE',
    `This payment is disputed (${disputeStatus}): the card network settles it, it cannot be refunded.`,
    { disputeStatus },
  );
export const refundExceedsRemaining = (remaining: number, currency: string) =>
  paymentError('REFUND_EXCEEDS_REMAINING', `At most ${remaining} (minor units of ${currency}) can still be refunded.`, {
    remaining,
    currency,
  });
export const declinedArgs = (declineCode: string, message: string) =>
  paymentErrorArgs('PAYMENT_DECLINED', message || 'The card was declined.', { declineCode });
export const actionRequiredArgs = (message = 'The card issuer requires the driver to authenticate this payment.') =>
  paymentErrorArgs('PAYMENT_ACTION_REQUIRED', message);
export const unavailableArgs = () =>
  paymentErrorArgs(
    'PAYMENT_PROVIDER_UNAVAILABLE',
    'The payment provider did not answer; nothing was charged twice. Try again shortly.',
  );
