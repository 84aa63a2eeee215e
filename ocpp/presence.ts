import type { Logger } from 'pino';
import type { ChargerPlatform, PresenceReport } from './platform.js';

/**
 * Presence of every charger of this replica, batched into `reportChargePointPresence` calls: connects and
 * disconnects are sent within a short tick, heartbeats (last seen) are coalesced and sent every `flushMs`.
 * Only the newest report per charger is kept; a report that could not be sent is retried with the next batch
 * unless a newer one replaced it.
 */
export class PresenceReporter {
  private pending = new Map<string, PresenceReport>();
  private soonTimer: NodeJS.Timeout | undefined;
  private readonly periodic: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    private readonly platform: ChargerPlatform,
    private readonly logger: Logger,
    flushMs: number,
    private readonly promptMs = 10,
  ) {
    this.periodic = setInterval(() => void this.flush(), flushMs);
    this.periodic.unref();
  }

  /** A connect, a boot or a disconnect: sent within `promptMs`. */
  reportNow(report: PresenceReport): void {
    this.pending.set(report.chargePointId, report);
    this.soonTimer ??= setTimeout(() => void this.flush(), this.promptMs);
  }

  /** A heartbeat or any other sign of life: sent with the next periodic batch. */
  reportLater(report: PresenceReport): void {
    this.pending.set(report.chargePointId, report);
  }

  /** Sends everything pending now; batches go one after another so a later report never overtakes an earlier one. */
  flush(): Promise<void> {
    clearTimeout(this.soonTimer);
    this.soonTimer = undefined;
    this.sending = this.sending.then(() => this.sendPending());
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.periodic);
    await this.flush();
    clearTimeout(this.soonTimer);
  }

  private async sendPending(): Promise<void> {
    if (this.pending.size === 0) return;
    const reports = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.platform.reportChargePointPresence(reports);
    } catch (error) {
      this.logger.warn({ err: error, reports: reports.length }, 'charger presence could not be reported; retrying');
      for (const report of reports)
        if (!this.pending.has(report.chargePointId)) this.pending.set(report.chargePointId, report);
    }
  }
}
