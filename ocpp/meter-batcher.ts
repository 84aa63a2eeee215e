import type { Logger } from 'pino';
import type { ChargerPlatform, MeterValueInput, MeterValueResult } from './platform.js';
import { ocppMetrics } from './metrics.js';

interface Pending {
  value: MeterValueInput;
  resolve(result: MeterValueResult): void;
  reject(error: unknown): void;
}

/**
 * Meter values of every charger that arrive within one short tick (or up to `max` of them) go to the session
 * subgraph in ONE `chargerMeterValues` call; each submitter learns its own value's result when the batch returns,
 * so each charger's CALLRESULT is sent only once its value was applied.
 * At most `maxInFlight` calls are under way at once: what arrives meanwhile waits for the next one, so under load the
 * batches grow (the session subgraph's cost is mostly per call) instead of the calls piling up.
 */
export class MeterBatcher {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly platform: Pick<ChargerPlatform, 'chargerMeterValues'>,
    private readonly logger: Logger,
    private readonly tickMs: number,
    private readonly max: number,
    private readonly maxInFlight: number,
  ) {}

  submit(value: MeterValueInput): Promise<MeterValueResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ value, resolve, reject });
      if (this.queue.length >= this.max) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.tickMs);
    });
  }

  /** Sends everything queued (and waits until no batch is in flight). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.flush();
      await Promise.race([...this.inFlight]);
    }
  }

  /** Sends what is queued, in batches of at most `max`, while fewer than `maxInFlight` calls are under way. */
  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) {
      const batch = this.queue.splice(0, this.max);
      const sending: Promise<void> = this.send(batch).finally(() => {
        this.inFlight.delete(sending);
        this.flush(); // what queued up meanwhile has waited long enough
      });
      this.inFlight.add(sending);
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    ocppMetrics().meterBatchSize.observe(batch.length);
    try {
      const results = await this.platform.chargerMeterValues(batch.map((pending) => pending.value));
      batch.forEach((pending, index) => {
        const result = results[index];
        if (result) pending.resolve(result);
        else pending.reject(new Error('The session service answered fewer meter value results than it was sent.'));
      });
    } catch (error) {
      this.logger.warn({ err: error, values: batch.length }, 'meter values could not be sent');
      for (const pending of batch) pending.reject(error);
    }
  }
}
