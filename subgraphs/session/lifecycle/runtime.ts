import type { Logger } from 'pino';
import type { Bus } from '../../../platform/bus.js';
import type { ChargerCommandClient } from '../../../platform/charger-commands.js';
import type { JobQueue } from '../../../platform/subgraph/jobs.js';
import type { SessionConfig } from '../config.js';
import { SessionJob, type SessionJobData } from './jobs.js';

/**
 * What the session subgraph's services use beyond a request: settings, the charger command client, and the
 * after-commit effects (bus notifications, jobs). Built once in `provide`.
 */
export class SessionRuntime {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    readonly settings: SessionConfig,
    readonly chargers: ChargerCommandClient,
    readonly logger: Logger,
    private readonly bus: Bus,
    private readonly jobs: JobQueue,
  ) {}

  /** Work in flight per key in this process: a second caller with the same key waits for the first one's outcome. */
  singleFlight<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inFlight.get(key);
    if (running) return running as Promise<T>;
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  /** After a committed change: `session_changed {id}` (a hint for live subscribers; losing one is harmless). */
  async changed(...ids: string[]): Promise<void> {
    // One round trip for a whole batch of meter values, not one per session.
    const unique = [...new Set(ids)];
    await this.bus
      .publishEach(
        'session_changed',
        unique.map((id) => ({ id })),
      )
      .catch((error: unknown) => this.logger.warn({ err: error, sessionIds: unique }, 'session_changed not published'));
  }

  startTimeoutLater(sessionId: string): Promise<void> {
    const seconds = Math.ceil(this.settings.SESSION_START_TIMEOUT_MS / 1000);
    return this.send(SessionJob.START_TIMEOUT, sessionId, { startAfter: seconds });
  }

  settleLater(sessionId: string): Promise<void> {
    return this.send(SessionJob.SETTLE, sessionId, { singletonKey: sessionId });
  }

  holdCheckLater(sessionId: string): Promise<void> {
    return this.send(SessionJob.HOLD_CHECK, sessionId, { singletonKey: sessionId });
  }

  /** A job that could not be queued is logged; the idle sweep finds what it would have done. */
  private async send(name: string, sessionId: string, options: { startAfter?: number; singletonKey?: string }) {
    await this.jobs
      .send<SessionJobData>(name, { sessionId }, options)
      .then(() => undefined)
      .catch((error: unknown) => this.logger.error({ err: error, job: name, sessionId }, 'job not queued'));
  }
}
