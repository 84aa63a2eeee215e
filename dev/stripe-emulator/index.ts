/**
 * Local emulator of the Stripe HTTP API for tests and the dev stack. The official `stripe` SDK talks
 * to it unchanged: `new Stripe('sk_test_…', emulator.clientOptions)`. See README.md in this folder.
 */
import { Emulator } from './emulator.js';
import { listen } from './http/server.js';
import { balanceOf } from './resources/ledger.js';
import type { FaultKind, FaultMatch } from './state/faults.js';
import type { DisputeOutcome } from './resources/disputes.js';
import type { BalanceTransactionObject, DisputeObject, RefundObject } from './state/objects.js';
import type { RequestLogEntry } from './state/request-log.js';

export interface StripeEmulatorOptions {
  /** 0 = ephemeral; default 12111 */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** endpoint secret signing platform events; default 'whsec_emulator_platform' */
  webhookSecret?: string;
  /** endpoint secret signing Connect events (those with `account`); default 'whsec_emulator_connect' */
  connectWebhookSecret?: string;
  /** where events are POSTed; optional, can be set later */
  webhookUrl?: string;
  /**
   * Deliveries under way at once (default 1: one at a time, in creation order). More, taken in creation order, for
   * load (a simulated day): Stripe promises no order, and one at a time falls behind a busy platform.
   */
  webhookConcurrency?: number;
  /**
   * Keep the state in this JSON file across restarts: loaded at start when it exists, saved shortly
   * after every change and on close(), removed by reset(). An unusable file is moved aside with a
   * warning and the emulator starts empty. See README.md ("Persistence").
   */
  dataFile?: string;
  /** request log and notices; warnings (an unusable data file) go here too, else to console.warn */
  log?: (msg: string) => void;
}

export interface StripeEmulator {
  url: string;
  host: string;
  port: number;
  /** options for `new Stripe(key, clientOptions)` */
  clientOptions: { host: string; port: number; protocol: 'http' };
  setWebhookUrl(url: string | undefined): void;
  faults: { injectNext(fault: FaultKind, match?: FaultMatch): void; clear(): void };
  /** test/inspection helpers, not part of Stripe's API */
  balanceOf(accountId: string | 'platform', currency: string): { available: number; pending: number };
  requests(): Array<{ method: string; path: string; account?: string; idempotencyKey?: string; status: number }>;
  /**
   * Runs the later half of a refund test card now (`pm_card_pendingRefund`: pending → succeeded;
   * `pm_card_refundFail`: succeeded → failed), with its events; returns the refund. Throws when it has none.
   */
  settleRefund(accountId: string, refundId: string): RefundObject;
  /**
   * Closes an open dispute (from `pm_card_createDispute`) now, as Stripe does once the card network decides: `won`
   * reinstates the disputed amount (not the dispute fee), `lost` keeps it withdrawn; with its events. Throws when the
   * dispute is unknown (as `resource_missing`) or already closed.
   */
  closeDispute(accountId: string, disputeId: string, outcome: DisputeOutcome): DisputeObject;
  /**
   * Test hook: raises (or lowers) the provider's own fee on one balance transaction by `delta`, as if Stripe had
   * charged a different fee than the one reported when the money moved (`fee`, `net` and the `stripe_fee` detail
   * change together). For reconciliation tests; returns the transaction.
   */
  adjustBalanceTransactionFee(accountId: string | 'platform', txnId: string, delta: number): BalanceTransactionObject;
  /** The disputes on an account, newest first (inspection; Stripe's `GET /v1/disputes` is not emulated). */
  disputesOf(accountId: string): DisputeObject[];
  /** resolves when all queued webhook deliveries (incl. retries due) are done */
  flushWebhooks(): Promise<void>;
  /** forgets all state (and removes the data file, if any) */
  reset(): void;
  /** stops the server and writes unsaved state to the data file */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 12111;

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const host = options.host ?? '127.0.0.1';
  const emulator = new Emulator({
    secrets: {
      platform: options.webhookSecret ?? 'whsec_emulator_platform',
      connect: options.connectWebhookSecret ?? 'whsec_emulator_connect',
    },
    webhookUrl: options.webhookUrl,
    webhookConcurrency: options.webhookConcurrency,
    log: options.log ?? (() => {}),
    warn: options.log ?? ((message) => console.warn(`[stripe-emulator] ${message}`)),
    dataFile: options.dataFile,
  });
  const server = await listen(emulator, host, options.port ?? DEFAULT_PORT);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
  emulator.baseUrl = url;
  return {
    url,
    host,
    port: server.port,
    clientOptions: { host, port: server.port, protocol: 'http' },
    setWebhookUrl: (webhookUrl) => emulator.webhooks.setUrl(webhookUrl),
    faults: {
      injectNext: (fault, match) => emulator.faults.injectNext(fault, match),
      clear: () => emulator.faults.clear(),
    },
    balanceOf(accountId, currency) {
      const account = accountId === 'platform' ? emulator.state.platform : emulator.state.find(accountId);
      if (!account) throw new Error(`unknown account ${accountId}`);
      return balanceOf(account, currency.toLowerCase());
    },
    requests: (): RequestLogEntry[] => emulator.requestLog.snapshot(),
    settleRefund: (accountId, refundId) => emulator.settleRefund(accountId, refundId),
    closeDispute: (accountId, disputeId, outcome) => emulator.closeDispute(accountId, disputeId, outcome),
    adjustBalanceTransactionFee(accountId, txnId, delta) {
      const account = accountId === 'platform' ? emulator.state.platform : emulator.state.find(accountId);
      const txn = account?.balanceTransactions.get(txnId);
      if (!txn) throw new Error(`unknown balance transaction ${txnId} on ${accountId}`);
      const detail = txn.fee_details.find((d) => d.type === 'stripe_fee');
      if (detail) detail.amount += delta;
      else
        txn.fee_details.push({
          amount: delta,
          application: null,
          currency: txn.currency,
          description: 'Stripe processing fees',
          type: 'stripe_fee',
        });
      txn.fee += delta;
      txn.net -= delta;
      emulator.stateChanged();
      return txn;
    },
    disputesOf(accountId) {
      const account = emulator.state.find(accountId);
      if (!account) throw new Error(`unknown account ${accountId}`);
      return account.disputes.newestFirst();
    },
    flushWebhooks: () => emulator.webhooks.flush(),
    reset: () => emulator.reset(),
    async close() {
      emulator.webhooks.clear();
      try {
        await server.close();
      } finally {
        emulator.saveState();
      }
    },
  };
}

export type { FaultKind, FaultMatch } from './state/faults.js';
export type { DisputeOutcome } from './resources/disputes.js';
export type { DisputeObject } from './state/objects.js';
export { PLATFORM_ACCOUNT_ID } from './resources/accounts.js';
