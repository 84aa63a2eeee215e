import { createHmac } from 'node:crypto';
import { nowSeconds } from '../core/ids.js';
import type { EmittedEvent } from './events.js';

/** Delays before the 2nd, 3rd, … delivery attempt of a failed webhook (short: this is a test tool). */
export const RETRY_DELAYS_MS: readonly number[] = [50, 200, 1000, 3000];
const DELIVERY_TIMEOUT_MS = 5000;

export interface WebhookSecrets {
  /** signs events of the platform account */
  platform: string;
  /** signs Connect events (events that carry `account`) */
  connect: string;
}

/** `Stripe-Signature` header value: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">`. */
export function signatureHeader(payload: string, secret: string, timestamp = nowSeconds()): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

interface Delivery {
  url: string;
  payload: string;
  secret: string;
  emitted: EmittedEvent;
  attempt: number;
}

/**
 * Posts events to the webhook URL one at a time, in creation order (or `concurrency` at a time, taken in creation
 * order: Stripe itself promises no order, and one at a time cannot keep up with a busy day). A failed attempt
 * (non-2xx or network error) is retried after RETRY_DELAYS_MS without holding up later events.
 */
export class WebhookDispatcher {
  private url: string | undefined;
  private readonly queue: Delivery[] = [];
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  /** Drain loops running (at most `concurrency`). */
  private workers = 0;
  /** bumped by clear(): attempts started before it neither retry nor count as delivered */
  private generation = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly secrets: WebhookSecrets,
    url: string | undefined,
    private readonly log: (message: string) => void,
    /** called when a delivery updates its stored event (`pending_webhooks`) */
    private readonly onEventUpdated: () => void = () => {},
    private readonly concurrency = 1,
  ) {
    this.url = url;
  }

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  get enabled(): boolean {
    return this.url !== undefined;
  }

  enqueue(emitted: readonly EmittedEvent[]): void {
    const url = this.url;
    if (url === undefined || emitted.length === 0) return;
    for (const item of emitted) {
      // Stripe sends the same body on every attempt; only the signature timestamp changes.
      const payload = JSON.stringify(item.event.body, null, 2);
      const secret = item.account.isPlatform ? this.secrets.platform : this.secrets.connect;
      this.queue.push({ url, payload, secret, emitted: item, attempt: 1 });
    }
    this.kick();
  }

  /** Resolves once nothing is queued, being delivered or waiting for a retry. */
  flush(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops pending deliveries and aborts the ones under way. */
  clear(): void {
    this.queue.length = 0;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.generation += 1;
    this.notifyIfIdle();
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.retryTimers.size === 0 && this.inFlight.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.idle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private kick(): void {
    while (this.workers < this.concurrency && this.workers < this.queue.length) {
      this.workers += 1;
      // Deliveries start on a later turn, never before the API response that caused them is written.
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      await this.attempt(next);
    }
    this.workers -= 1;
    this.notifyIfIdle();
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const generation = this.generation;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), DELIVERY_TIMEOUT_MS);
    this.inFlight.add(controller);
    let failure: string | undefined;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Stripe-Signature': signatureHeader(delivery.payload, delivery.secret),
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body: delivery.payload,
        signal: controller.signal,
      });
      await response.arrayBuffer();
      if (!response.ok) failure = `HTTP ${response.status}`;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    if (generation !== this.generation) return;
    const { event } = delivery.emitted;
    if (failure === undefined) {
      event.body.pending_webhooks = 0;
      this.onEventUpdated();
      return;
    }
    const delay = RETRY_DELAYS_MS[delivery.attempt - 1];
    if (delay === undefined) {
      this.log(`webhook ${event.type} ${event.id} gave up after ${delivery.attempt} attempts: ${failure}`);
      return;
    }
    this.log(
      `webhook ${event.type} ${event.id} attempt ${delivery.attempt} failed (${failure}); retrying in ${delay} ms`,
    );
    const retry = setTimeout(() => {
      this.retryTimers.delete(retry);
      this.queue.push({ ...delivery, attempt: delivery.attempt + 1 });
      this.kick();
    }, delay);
    this.retryTimers.add(retry);
  }
}
