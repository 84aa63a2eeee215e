import { ChangeSetType, type ChangeSet, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { Payment } from '../payment/payment.entity.js';
import { AttemptKind, PaymentStatus } from '../payment/payment.status.js';
import { PaymentDecline } from './decline.entity.js';

/**
 * Appends a `PaymentDecline` to the flush that records a declined attempt, whichever path declined it (hold, capture,
 * off-session charge, webhook, sweeper):
 *  - an attempt that moves to FAILED (attempt ≥ 1: attempt 0 is the sweeper's "could not even try" flag, no card was
 *    asked), and
 *  - a deleted payment: the service deletes a payment row only when the provider declined its first hold
 *    (`PaymentService.recordFailure`), so a new card starts over with new ids.
 * Inside the same flush, hence the same transaction: no decline without its payment change, and the other way round.
 */
export class DeclineRecorder implements EventSubscriber {
  async onFlush({ em, uow }: FlushEventArgs): Promise<void> {
    const declines = uow
      .getChangeSets()
      .flatMap((changeSet) => (changeSet.entity instanceof Payment ? declineOf(changeSet as ChangeSet<Payment>) : []));
    for (const decline of declines) {
      const row = em.create(PaymentDecline, decline);
      uow.computeChangeSet(row);
    }
  }
}

type DeclineData = Omit<PaymentDecline, 'id'>;

function declineOf(changeSet: ChangeSet<Payment>): DeclineData[] {
  const payment = changeSet.entity;
  switch (changeSet.type) {
    case ChangeSetType.DELETE:
      return payment.kind === AttemptKind.HOLD ? [dataOf(payment)] : [];
    case ChangeSetType.CREATE:
      return payment.status === PaymentStatus.FAILED && payment.attempt >= 1 ? [dataOf(payment)] : [];
    case ChangeSetType.UPDATE: {
      // A new failure: the status became FAILED, or a new attempt was opened and failed within this one flush.
      const before = changeSet.originalEntity;
      const newlyFailed = before?.status !== PaymentStatus.FAILED || before?.attempt !== payment.attempt;
      return payment.status === PaymentStatus.FAILED && newlyFailed && payment.attempt >= 1 ? [dataOf(payment)] : [];
    }
    default:
      return [];
  }
}

function dataOf(payment: Payment): DeclineData {
  return {
    paymentId: payment.id,
    sessionId: payment.sessionId,
    operatorId: payment.operatorId,
    attempt: payment.attempt,
    kind: payment.kind,
    currency: payment.currency,
    amount: payment.kind === AttemptKind.HOLD ? (payment.authorizedAmount ?? null) : (payment.amount ?? null),
    failureCode: payment.status === PaymentStatus.FAILED ? (payment.failureCode ?? null) : null,
    timeZone: payment.timeZone ?? null,
    declinedAt: new Date(),
  };
}
