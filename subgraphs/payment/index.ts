import { Bus, busDatabaseUrl } from '../../platform/bus.js';
import { databaseUrl } from '../../platform/database-admin.js';
import { JobQueue } from '../../platform/subgraph/jobs.js';
import type { SubgraphModule } from '../../platform/subgraph/server.js';
import { OperatorPaymentAccount } from './account/account.entity.js';
import { OperatorPaymentsResolver } from './account/account.resolver.js';
import { AccountService } from './account/account.service.js';
import { OperatorAnalyticsResolver } from './analytics/analytics.resolver.js';
import { PaymentDecline } from './analytics/decline.entity.js';
import { DeclineRecorder } from './analytics/decline.recorder.js';
import { PaymentRevenueDaily } from './analytics/revenue-daily.entity.js';
import { DriverCustomer, SavedPaymentMethod } from './card/card.entity.js';
import { CardResolver } from './card/card.resolver.js';
import { CardService } from './card/card.service.js';
import { loadPaymentConfig, type PaymentConfig } from './config.js';
import { ResolverContainer } from '../../platform/subgraph/container.js';
import { migrations } from './migrations/index.js';
import { Operator } from './references.js';
import { Payment } from './payment/payment.entity.js';
import { PaymentResolver, paymentReferences, SessionPaymentResolver } from './payment/payment.resolver.js';
import { RefundResolver } from './refund/refund.resolver.js';
import { PaymentService } from './payment/payment.service.js';
import { Refund } from './refund/refund.entity.js';
import { RefundService } from './refund/refund.service.js';
import { ChargingSession } from './references.js';
import { SessionChangePublisher } from './charging-session/session-changes.js';
import { SessionDirectory } from './charging-session/session.directory.js';
import { createStripeClient } from './stripe/client.js';
import type { PaymentProvider } from './provider/payment-provider.js';
import { StripeProvider } from './stripe/provider.js';
import { IssuedReceipt, ReceiptCounter } from './receipt/receipt.entity.js';
import { ReceiptResolver } from './receipt/receipt.resolver.js';
import { RECEIPTS_PATH, receiptRoutes } from './receipt/receipt.routes.js';
import { ReceiptService } from './receipt/receipt.service.js';
import { ReceiptSources } from './receipt/receipt.sources.js';
import { Sweeper } from './sweeper.js';
import { ProcessedWebhookEvent } from './webhook/webhook.entity.js';
import { webhookRoutes } from './webhook/webhook.routes.js';
import { WebhookService } from './webhook/webhook.service.js';
import { LedgerEntry } from './ledger/ledger-entry.entity.js';
import { PaymentLedgerResolver } from './ledger/ledger.resolver.js';
import { Dispute } from './dispute/dispute.entity.js';
import { DisputeService } from './dispute/dispute.service.js';
import { PaymentDisputesResolver } from './dispute/dispute.resolver.js';
import { ReconciliationDifference, ReconciliationRun } from './reconciliation/reconciliation.entity.js';
import { OperatorReconciliationResolver } from './reconciliation/reconciliation.resolver.js';
import { ReconciliationService } from './reconciliation/reconciliation.service.js';

/** The services `provide` builds, once per process. */
export interface PaymentServices {
  settings: PaymentConfig;
  provider: PaymentProvider;
  accounts: AccountService;
  cards: CardService;
  payments: PaymentService;
  refunds: RefundService;
  disputes: DisputeService;
  webhooks: WebhookService;
  sweeper: Sweeper;
  reconciliation: ReconciliationService;
  sessions: SessionDirectory;
  receipts: ReceiptService;
  /** The platform bus (`session_changed` after every committed payment change). */
  bus: Bus;
  /** pg-boss in the payment database (the sweeper's cron). */
  jobs: JobQueue;
}

export interface PaymentSubgraphOptions {
  /** Where the payment settings come from (default: the environment the process config was read from). */
  env?: NodeJS.ProcessEnv;
  /** Called with the services once they are built (tests drive the sweeper and webhooks through it). */
  onServices?: (services: PaymentServices) => void;
  /** How often an idle job worker polls (seconds; tests pass less). */
  jobPollingIntervalSeconds?: number;
}

/**
 * Payments: operators' payment accounts, drivers' cards, the hold and the targeted charge of each session on its
 * operator's own account, refunds, provider webhooks and the sweeper. See README.md in this folder.
 */
export const createPaymentSubgraph = (options: PaymentSubgraphOptions = {}): SubgraphModule => ({
  name: 'payment',
  entities: [
    OperatorPaymentAccount,
    DriverCustomer,
    SavedPaymentMethod,
    Payment,
    Refund,
    ProcessedWebhookEvent,
    PaymentDecline,
    PaymentRevenueDaily,
    LedgerEntry,
    Dispute,
    IssuedReceipt,
    ReceiptCounter,
    ReconciliationRun,
    ReconciliationDifference,
  ],
  migrations,
  resolvers: [
    OperatorPaymentsResolver,
    CardResolver,
    PaymentResolver,
    SessionPaymentResolver,
    RefundResolver,
    OperatorAnalyticsResolver,
    PaymentLedgerResolver,
    PaymentDisputesResolver,
    ReceiptResolver,
    OperatorReconciliationResolver,
  ],
  orphanedTypes: [Operator, ChargingSession],
  referenceResolvers: paymentReferences,
  async provide({ config, orm, logger, services }) {
    const settings = loadPaymentConfig(options.env ?? config.env);
    if (settings.stripe.api)
      logger.warn(
        { host: settings.stripe.api.host, port: settings.stripe.api.port },
        'payment provider API overridden (emulator): no real money moves',
      );
    const provider = new StripeProvider(
      createStripeClient(settings.stripe),
      { platform: settings.stripe.webhookSecret, connect: settings.stripe.connectWebhookSecret },
      logger,
    );
    const sessions = new SessionDirectory(services);
    const accounts = new AccountService(orm, provider, services, settings.onboarding);
    const cards = new CardService(orm, provider);
    const payments = new PaymentService({ orm, provider, accounts, cards, sessions, logger });
    const refunds = new RefundService(orm, provider);
    const disputes = new DisputeService(orm, provider, logger);
    const receipts = new ReceiptService(orm, new ReceiptSources(sessions, services));
    const webhooks = new WebhookService(orm, provider, payments, accounts, refunds, disputes, logger);
    const sweeper = new Sweeper({
      orm,
      sessions,
      payments,
      logger,
      graceMs: settings.sweeper.graceMs,
      lookbackMs: settings.sweeper.lookbackMs,
      refunds,
      refundSettleAfterMs: settings.sweeper.refundSettleAfterMs,
      disputes,
      disputeRecheckAfterMs: settings.sweeper.disputeRecheckAfterMs,
    });
    const reconciliation = new ReconciliationService(orm, provider, logger);
    orm.em.getEventManager().registerSubscriber(new DeclineRecorder()); // analytics: declined attempts, same transaction
    const bus = await Bus.connect(busDatabaseUrl(config), logger);
    orm.em.getEventManager().registerSubscriber(new SessionChangePublisher(bus, logger));
    let jobs: JobQueue;
    try {
      jobs = await JobQueue.start({
        connectionString: databaseUrl(config, 'payment'),
        logger,
        pollingIntervalSeconds: options.jobPollingIntervalSeconds,
      });
      if (settings.sweeper.cron) await sweeper.schedule(jobs, settings.sweeper.cron);
      // Always worked here (on-demand runs from Operator.reconciliation); the nightly cron only when configured.
      await reconciliation.schedule(jobs, settings.reconciliation.cron);
    } catch (error) {
      await bus.close();
      throw error;
    }

    const container = new ResolverContainer()
      .register(OperatorPaymentsResolver, new OperatorPaymentsResolver(accounts))
      .register(CardResolver, new CardResolver(cards))
      .register(PaymentResolver, new PaymentResolver(payments, provider))
      .register(RefundResolver, new RefundResolver(refunds))
      .register(SessionPaymentResolver, new SessionPaymentResolver())
      .register(OperatorAnalyticsResolver, new OperatorAnalyticsResolver())
      .register(PaymentLedgerResolver, new PaymentLedgerResolver())
      .register(PaymentDisputesResolver, new PaymentDisputesResolver())
      .register(ReceiptResolver, new ReceiptResolver(receipts))
      .register(OperatorReconciliationResolver, new OperatorReconciliationResolver(reconciliation));
    options.onServices?.({
      settings,
      provider,
      accounts,
      cards,
      payments,
      refunds,
      disputes,
      webhooks,
      sweeper,
      reconciliation,
      sessions,
      receipts,
      bus,
      jobs,
    });
    return {
      container,
      routes: webhookRoutes(provider, webhooks, logger),
      signedRoutes: { path: RECEIPTS_PATH, routes: receiptRoutes(orm, receipts, logger) },
      // Jobs first (running sweeps finish and may still publish), then the bus.
      async close() {
        await jobs.stop();
        await sweeper.stop();
        await bus.close();
      },
    };
  },
});

export const paymentSubgraph = createPaymentSubgraph();
