import { Collection } from '../core/collection.js';
import { newId } from '../core/ids.js';
import type { CardOutcome } from '../resources/test-cards.js';
import type {
  AccountObject,
  ApplicationFeeObject,
  BalanceTransactionObject,
  ChargeObject,
  CustomerObject,
  DisputeObject,
  EventRecord,
  PaymentIntentObject,
  PaymentMethodObject,
  RefundObject,
} from './objects.js';

/** Everything one Stripe account (the platform or a connected account) owns. */
export class AccountState {
  readonly customers = new Collection<CustomerObject>();
  readonly paymentMethods = new Collection<PaymentMethodObject>();
  /** payment method id → how charges on it behave (copied along when a method is cloned) */
  readonly cardOutcomes = new Map<string, CardOutcome>();
  readonly paymentIntents = new Collection<PaymentIntentObject>();
  readonly charges = new Collection<ChargeObject>();
  readonly refunds = new Collection<RefundObject>();
  readonly balanceTransactions = new Collection<BalanceTransactionObject>();
  readonly applicationFees = new Collection<ApplicationFeeObject>();
  readonly disputes = new Collection<DisputeObject>();
  readonly events = new Collection<EventRecord>();

  constructor(
    readonly account: AccountObject,
    readonly isPlatform: boolean,
  ) {}

  get id(): string {
    return this.account.id;
  }

  objectCount(): number {
    return (
      this.customers.size +
      this.paymentMethods.size +
      this.paymentIntents.size +
      this.charges.size +
      this.refunds.size +
      this.balanceTransactions.size +
      this.applicationFees.size +
      this.disputes.size +
      this.events.size
    );
  }
}

export interface AccountLinkRecord {
  account: string;
  expiresAt: number;
  returnUrl: string | null;
  refreshUrl: string | null;
}

/** The whole in-memory world of one emulator instance. */
export class EmulatorState {
  readonly platform: AccountState;
  /** onboarding link token → link */
  readonly accountLinks = new Map<string, AccountLinkRecord>();
  private readonly connected = new Map<string, AccountState>();

  constructor(
    platformAccount: AccountObject,
    /** the platform's Connect application id (`application` on direct charges and fees) */
    readonly applicationId: string = newId('ca', 32),
  ) {
    this.platform = new AccountState(platformAccount, true);
  }

  /** The platform or a connected account. */
  find(accountId: string): AccountState | undefined {
    return accountId === this.platform.id ? this.platform : this.connected.get(accountId);
  }

  addConnected(account: AccountObject): AccountState {
    const state = new AccountState(account, false);
    this.connected.set(account.id, state);
    return state;
  }

  removeConnected(accountId: string): void {
    this.connected.delete(accountId);
  }

  connectedNewestFirst(): AccountState[] {
    return [...this.connected.values()].reverse();
  }

  connectedOldestFirst(): AccountState[] {
    return [...this.connected.values()];
  }

  /** How many objects all accounts hold (a cheap way to notice that a request created something). */
  objectCount(): number {
    let count = this.accountLinks.size;
    for (const account of [this.platform, ...this.connected.values()]) count += account.objectCount();
    return count;
  }
}
