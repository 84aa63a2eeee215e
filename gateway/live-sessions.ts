import type { ExecutionResult } from 'graphql';
import type { Logger } from 'pino';
import type { Bus } from '../platform/bus.js';

/**
 * The gateway's one listener on the bus channel `session_changed` (per process, connected on the first live
 * subscription), fanning each `{ id }` out to the subscriptions watching that session. Messages are hints: each
 * subscription reads the truth again through the gateway.
 */
export class LiveSessions {
  private readonly watchers = new Map<string, Set<LiveSubscription>>();
  private bus?: Promise<Bus>;
  private closed = false;

  constructor(
    private readonly connectBus: () => Promise<Bus>,
    private readonly logger: Logger,
  ) {}

  /** Resolves once the bus listens; a failed connection is tried again by the next subscription. */
  async ready(): Promise<void> {
    if (this.closed) throw new Error('live sessions are closed');
    if (!this.bus) {
      const connecting = (async () => {
        const bus = await this.connectBus();
        await bus.subscribe('session_changed', (message) => this.changed(message));
        // Hints sent while the bus was away are lost: every subscriber reads its session again.
        bus.onReconnect(() => this.watchers.forEach((set) => set.forEach((subscription) => subscription.changed())));
        return bus;
      })();
      this.bus = connecting;
      connecting.catch((error: unknown) => {
        this.logger.warn({ err: error }, 'live sessions: bus unavailable');
        if (this.bus === connecting) this.bus = undefined;
      });
    }
    await this.bus;
  }

  watch(subscription: LiveSubscription): void {
    let set = this.watchers.get(subscription.sessionId);
    if (!set) this.watchers.set(subscription.sessionId, (set = new Set()));
    set.add(subscription);
  }

  unwatch(subscription: LiveSubscription): void {
    const set = this.watchers.get(subscription.sessionId);
    if (!set?.delete(subscription)) return;
    if (!set.size) this.watchers.delete(subscription.sessionId);
  }

  /** Subscriptions watching sessions now (tests, metrics). */
  get size(): number {
    let count = 0;
    for (const set of this.watchers.values()) count += set.size;
    return count;
  }

  /** Ends every subscription and stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of [...this.watchers.values()]) for (const subscription of [...set]) subscription.end();
    this.watchers.clear();
    const bus = await this.bus?.catch(() => undefined);
    await bus?.close().catch(() => {});
  }

  private changed(message: unknown): void {
    if (typeof message !== 'object' || message === null || !('id' in message) || typeof message.id !== 'string') {
      this.logger.warn({ message }, 'live sessions: session_changed without an id; ignored');
      return;
    }
    for (const subscription of this.watchers.get(message.id) ?? []) subscription.changed();
  }
}

/** One run of the subscription's query: what to send, and whether it is the last thing to send. */
export interface LiveStep {
  result: ExecutionResult;
  last: boolean;
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * One client subscription as the async iterator graphql-ws drains. It runs `step` once at first, then once per
 * change; changes that arrive while a run is in flight (or its result is being sent) are folded into one pending
 * run, so a subscriber has at most one run in flight and one pending, however bursty the bus. The next run starts
 * only when graphql-ws asks for the next result, i.e. after the previous one was sent: a slow client costs nothing.
 * `return()` (the client's `complete`, a closed socket, shutdown) ends it at once, even mid-run.
 */
export class LiveSubscription implements AsyncIterableIterator<ExecutionResult> {
  private pending = true; // the first run
  private finished = false;
  private lastSent = false;
  private wake?: () => void;
  private readonly ended: Promise<undefined>;
  private resolveEnded!: () => void;

  constructor(
    readonly sessionId: string,
    private readonly step: () => Promise<LiveStep>,
    private readonly onEnd: (subscription: LiveSubscription) => void,
  ) {
    this.ended = new Promise<undefined>((resolve) => (this.resolveEnded = () => resolve(undefined)));
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The session changed: run again (now if idle, else once after the run in flight). */
  changed(): void {
    this.pending = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (this.finished) return DONE;
    if (this.lastSent) return this.end();
    if (!this.pending) await Promise.race([new Promise<void>((resolve) => (this.wake = resolve)), this.ended]);
    if (this.finished) return DONE;
    this.pending = false;
    const step = await Promise.race([this.step(), this.ended]);
    if (!step || this.finished) return DONE;
    this.lastSent = step.last;
    return { value: step.result, done: false };
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    return this.end();
  }

  async throw(error: unknown): Promise<IteratorReturnResult<undefined>> {
    this.end();
    throw error;
  }

  /** Stops: no further run, a waiting `next()` answers done. Idempotent. */
  end(): IteratorReturnResult<undefined> {
    if (!this.finished) {
      this.finished = true;
      this.wake?.();
      this.resolveEnded();
      this.onEnd(this);
    }
    return DONE;
  }
}
