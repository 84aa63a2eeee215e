import type { Resolver } from './core/expand.js';
import type { JsonObject } from './core/json.js';
import { EventCollector } from './events/events.js';
import { WebhookDispatcher, type WebhookSecrets } from './events/webhooks.js';
import { Router } from './http/router.js';
import { accountLinkRoutes } from './resources/account-links.js';
import { accountRoutes, createPlatformAccount } from './resources/accounts.js';
import { applicationFeeRoutes } from './resources/application-fees.js';
import { balanceRoutes } from './resources/balance.js';
import { chargeRoutes } from './resources/charges.js';
import { customerRoutes } from './resources/customers.js';
import { closeDispute, disputeRoutes, findDispute, type DisputeOutcome } from './resources/disputes.js';
import { eventRoutes } from './resources/events.js';
import { captureRoutes } from './resources/payment-intent-capture.js';
import { confirmRoutes } from './resources/payment-intent-confirm.js';
import { paymentIntentRoutes } from './resources/payment-intents.js';
import { paymentMethodRoutes } from './resources/payment-methods.js';
import { settleRefund } from './resources/refund-settlement.js';
import { refundRoutes } from './resources/refunds.js';
import type { DisputeObject, RefundObject } from './state/objects.js';
import { FaultQueue } from './state/faults.js';
import { IdempotencyStore } from './state/idempotency.js';
import { snapshotState, StateFile } from './state/persistence.js';
import { RequestLog } from './state/request-log.js';
import { EmulatorState, type AccountState } from './state/store.js';

export interface EmulatorConfig {
  secrets: WebhookSecrets;
  webhookUrl: string | undefined;
  /** webhook deliveries under way at once (default 1: one at a time, in creation order) */
  webhookConcurrency?: number;
  log: (message: string) => void;
  /** persist the state in this JSON file (loaded now, saved after changes) */
  dataFile?: string;
  /** problems the user should see (an unusable state file); default `log` */
  warn?: (message: string) => void;
}

/** Composition root: the state and the machinery around it, shared by the HTTP layer and the public API. */
export class Emulator {
  readonly router = new Router().add([
    ...accountRoutes,
    ...accountLinkRoutes,
    ...customerRoutes,
    ...paymentMethodRoutes,
    ...paymentIntentRoutes,
    ...confirmRoutes,
    ...captureRoutes,
    ...chargeRoutes,
    ...refundRoutes,
    ...disputeRoutes,
    ...balanceRoutes,
    ...applicationFeeRoutes,
    ...eventRoutes,
  ]);
  readonly faults = new FaultQueue();
  readonly requestLog = new RequestLog();
  readonly webhooks: WebhookDispatcher;
  readonly log: (message: string) => void;
  state = new EmulatorState(createPlatformAccount());
  idempotency = new IdempotencyStore();
  /** set once the server listens */
  baseUrl = '';
  private readonly stateFile: StateFile | undefined;

  constructor(config: EmulatorConfig) {
    this.log = config.log;
    this.webhooks = new WebhookDispatcher(
      config.secrets,
      config.webhookUrl,
      config.log,
      () => this.stateChanged(),
      config.webhookConcurrency,
    );
    if (config.dataFile !== undefined) {
      this.stateFile = new StateFile(
        config.dataFile,
        () => snapshotState(this.state, this.idempotency),
        config.warn ?? config.log,
        config.log,
      );
      const loaded = this.stateFile.load();
      if (loaded) {
        this.state = loaded.state;
        this.idempotency = loaded.idempotency;
      }
    }
  }

  /** Something in `state` or `idempotency` changed: saved to the data file (if any) shortly. */
  stateChanged(): void {
    this.stateFile?.changed();
  }

  /** Writes unsaved changes to the data file now (on close). */
  saveState(): void {
    this.stateFile?.flush();
  }

  /**
   * Forgets every object, idempotency key, fault, logged request and pending webhook (keeps the webhook
   * URL) and removes the data file.
   */
  reset(): void {
    this.state = new EmulatorState(createPlatformAccount());
    this.idempotency = new IdempotencyStore();
    this.faults.clear();
    this.requestLog.clear();
    this.webhooks.clear();
    this.stateFile?.clear();
  }

  newEventCollector(requestId: string | null, idempotencyKey: string | null): EventCollector {
    return new EventCollector({ id: requestId, idempotencyKey }, this.webhooks.enabled);
  }

  /** `settleRefund` of the public API and the emulator page: the refund's later outcome, its events delivered. */
  settleRefund(accountId: string, refundId: string): RefundObject {
    const account = this.state.find(accountId);
    const refund = account?.refunds.get(refundId);
    if (!account || !refund) throw new Error(`no refund ${refundId} on ${accountId}`);
    const events = this.newEventCollector(null, null);
    settleRefund(account, refund, events);
    this.stateChanged();
    this.webhooks.enqueue(events.emitted);
    return refund;
  }

  /** `closeDispute` of the public API: closes an open dispute won or lost, its events delivered. */
  closeDispute(accountId: string, disputeId: string, outcome: DisputeOutcome): DisputeObject {
    const account = this.state.find(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    const events = this.newEventCollector(null, null);
    const dispute = closeDispute(account, findDispute(account, disputeId, 'dispute'), outcome, events);
    this.stateChanged();
    this.webhooks.enqueue(events.emitted);
    return dispute;
  }

  /** Resolves ids for `expand[]`, looking on the acting account (and the platform for application fees). */
  resolverFor(account: AccountState): Resolver {
    const state = this.state;
    const lookups: Record<string, (id: string) => JsonObject | undefined> = {
      ch: (id) => account.charges.get(id),
      pi: (id) => account.paymentIntents.get(id),
      pm: (id) => account.paymentMethods.get(id),
      cus: (id) => account.customers.get(id),
      txn: (id) => account.balanceTransactions.get(id),
      re: (id) => account.refunds.get(id),
      dp: (id) => account.disputes.get(id),
      fee: (id) => state.platform.applicationFees.get(id),
      // A fee refund lives inside its application fee (the source of `application_fee_refund` transactions).
      fr: (id) => {
        for (const fee of state.platform.applicationFees.all()) {
          const refund = fee.refunds.data.find((r) => r.id === id);
          if (refund) return refund;
        }
        return undefined;
      },
      acct: (id) => state.find(id)?.account,
    };
    return (id) => lookups[id.slice(0, id.indexOf('_'))]?.(id);
  }
}
