import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import type { AccountService } from '../account/account.service.js';
import { isUuid } from '../../../platform/ids.js';
import { LockNamespace, locked, type Orm } from '../locks.js';
import { Payment } from '../payment/payment.entity.js';
import type { PaymentService } from '../payment/payment.service.js';
import type { DisputeService } from '../dispute/dispute.service.js';
import { Books } from '../ledger/books.js';
import { Refund } from '../refund/refund.entity.js';
import type { RefundService } from '../refund/refund.service.js';
import type { PaymentProvider, ProviderEvent } from '../provider/payment-provider.js';

export type WebhookResult = 'applied' | 'unchanged' | 'duplicate' | 'ignored';

/**
 * Applies verified provider events. Each one is claimed in `processed_webhook_event` in the same transaction as
 * its effect (a replay finds the claim and does nothing; a failed effect rolls the claim back, so the provider's
 * retry runs it again). The effect never trusts the event's copy of the object: it re-fetches the object and
 * applies its current state through the forward-only state machine, so late or reordered deliveries converge.
 */
export class WebhookService {
  constructor(
    private readonly orm: Orm,
    private readonly provider: PaymentProvider,
    private readonly payments: PaymentService,
    private readonly accounts: AccountService,
    private readonly refunds: RefundService,
    private readonly disputes: DisputeService,
    private readonly logger: Logger,
  ) {}

  async handle(event: ProviderEvent): Promise<WebhookResult> {
    const { action } = event;
    switch (action.kind) {
      case 'intent':
        return this.onIntent(event, action.intentId, action.paymentIdHint);
      case 'charge_refunds':
        return this.onRefunded(event, action.chargeId);
      case 'refund':
        return this.onRefundUpdated(event, action.refundId);
      case 'dispute':
        return this.onDispute(event, action.disputeId, action.chargeId);
      case 'account':
        return this.onAccount(event, action.accountId);
      case 'none':
        return 'ignored';
    }
  }

  private async onIntent(event: ProviderEvent, intentId: string, paymentIdHint: string | null): Promise<WebhookResult> {
    if (!event.account) return 'ignored'; // our intents live on connected accounts
    const em = this.orm.em.fork();
    const payment =
      (await em.findOne(Payment, { paymentIntentId: intentId })) ??
      (paymentIdHint && isUuid(paymentIdHint) ? await em.findOne(Payment, { id: paymentIdHint }) : null);
    if (!payment || payment.providerAccountId !== event.account) return 'ignored';
    return this.onPayment(event, payment.sessionId, payment.id, (tx, current) =>
      this.payments.applyProviderIntent(tx, current, intentId),
    );
  }

  /** The charge's refunded total changed: recounted under the lock from a fresh read (refund.status.ts rule). */
  private async onRefunded(event: ProviderEvent, chargeId: string): Promise<WebhookResult> {
    if (!event.account) return 'ignored';
    const charge = await this.provider.retrieveCharge(chargeId, event.account);
    const payment = await this.paymentOfIntent(charge.paymentIntentId, event.account);
    if (!payment) return 'ignored';
    return this.onPayment(event, payment.sessionId, payment.id, async (tx, current) => {
      const books = await Books.open(tx, current.id);
      const changed = await this.refunds.recountRefunded(
        current,
        await tx.find(Refund, { payment: current }),
        charge.id,
        books,
      );
      await tx.flush();
      return changed;
    });
  }

  /** A refund moved (pending → succeeded, succeeded → failed, …): its state machine and the payment's refunded amount. */
  private async onRefundUpdated(event: ProviderEvent, providerRefundId: string): Promise<WebhookResult> {
    if (!event.account) return 'ignored';
    const refund = await this.provider.retrieveRefund(providerRefundId, event.account);
    const payment = await this.paymentOfIntent(refund.paymentIntentId, event.account);
    if (!payment) return 'ignored';
    return this.onPayment(event, payment.sessionId, payment.id, (tx, current) =>
      this.refunds.settle(tx, current, providerRefundId),
    );
  }

  /** A dispute opened, moved its money or closed: applied from the provider's current dispute (monotone merge). */
  private async onDispute(event: ProviderEvent, disputeId: string, chargeId: string): Promise<WebhookResult> {
    if (!event.account) return 'ignored';
    const charge = await this.provider.retrieveCharge(chargeId, event.account);
    if (!charge.disputed) return 'ignored'; // the provider knows of no dispute on it (a forged or stray event)
    const payment = await this.paymentOfIntent(charge.paymentIntentId, event.account);
    if (!payment) return 'ignored';
    return this.onPayment(event, payment.sessionId, payment.id, (tx, current) =>
      this.disputes.settle(tx, current, disputeId),
    );
  }

  private async onAccount(event: ProviderEvent, accountId: string): Promise<WebhookResult> {
    return this.orm.em.fork().transactional(async (tx) => {
      if (!(await claim(tx, event))) return 'duplicate';
      return (await this.accounts.refreshFromProvider(tx, accountId)) ? 'applied' : 'ignored';
    });
  }

  /** Claims the event and runs its effect under the session's lock (serialized with charges and refunds). */
  private onPayment(
    event: ProviderEvent,
    sessionId: string,
    paymentId: string,
    effect: (tx: EntityManager, payment: Payment) => Promise<boolean>,
  ): Promise<WebhookResult> {
    return locked(this.orm, LockNamespace.SESSION, sessionId, async (tx) => {
      if (!(await claim(tx, event))) return 'duplicate';
      const payment = await tx.findOneOrFail(Payment, { id: paymentId });
      const changed = await effect(tx, payment);
      this.logger.info(
        { event: event.id, type: event.type, payment: payment.id, status: payment.status, changed },
        'webhook applied',
      );
      return changed ? 'applied' : 'unchanged';
    });
  }

  private async paymentOfIntent(paymentIntentId: string | null, account: string): Promise<Payment | null> {
    if (!paymentIntentId) return null;
    const payment = await this.orm.em.fork().findOne(Payment, { paymentIntentId });
    return payment && payment.providerAccountId === account ? payment : null;
  }
}

/** Inserts the event id; false when it was already processed. A concurrent duplicate waits for our commit. */
async function claim(tx: EntityManager, event: ProviderEvent): Promise<boolean> {
  const rows: unknown[] = await tx.execute(
    'insert into processed_webhook_event (event_id, type, account, processed_at) values (?, ?, ?, now()) on conflict (event_id) do nothing returning event_id',
    [event.id, event.type, event.account],
  );
  return rows.length === 1;
}
