import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MeterBatcher } from '../meter-batcher.js';
import type { MeterValueInput, MeterValueResult } from '../platform.js';

/** A session service whose answers the test releases by hand, so "in flight" lasts exactly as long as the test says. */
class HeldSessionService {
  readonly calls: Array<{ values: MeterValueInput[]; answer: () => void }> = [];
  private waiting: Array<() => void> = [];

  chargerMeterValues(values: MeterValueInput[]): Promise<MeterValueResult[]> {
    return new Promise((resolve) => {
      this.calls.push({
        values,
        answer: () =>
          resolve(values.map((v) => ({ accepted: true, code: null, message: `applied ${v.transactionId}` }))),
      });
      for (const wake of this.waiting.splice(0)) wake();
    });
  }

  /** Resolves once `n` calls were made. */
  async called(n: number): Promise<void> {
    while (this.calls.length < n) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
}

const value = (transactionId: string): MeterValueInput => ({
  chargePointId: 'CP-1',
  stationId: 'station-1',
  transactionId,
  energyRegisterWh: 1_000,
  measuredAt: new Date('2026-12-02T10:00:00.000Z'),
});
const logger = pino({ level: 'silent' });

describe('MeterBatcher', () => {
  it('keeps at most maxInFlight calls under way; what arrives meanwhile goes in ONE next call', async () => {
    const service = new HeldSessionService();
    const batcher = new MeterBatcher(service, logger, 1, 500, 1);
    const first = batcher.submit(value('t1'));
    await service.called(1);
    const later = ['t2', 't3', 't4'].map((t) => batcher.submit(value(t)));
    // Several ticks pass while the first call is in flight: without the limit each would have sent a call.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(service.calls).toHaveLength(1);

    service.calls[0].answer();
    expect(await first).toEqual({ accepted: true, code: null, message: 'applied t1' });
    await service.called(2);
    expect(service.calls[1].values.map((v) => v.transactionId)).toEqual(['t2', 't3', 't4']);
    service.calls[1].answer();
    expect((await Promise.all(later)).map((r) => r.message)).toEqual(['applied t2', 'applied t3', 'applied t4']);
    expect(service.calls).toHaveLength(2);
  });

  it('splits a backlog into batches of at most `max`, and drain sends all of it', async () => {
    const service = new HeldSessionService();
    const batcher = new MeterBatcher(service, logger, 1, 2, 2);
    const results = ['a', 'b', 'c', 'd', 'e'].map((t) => batcher.submit(value(t)));
    const drained = batcher.drain();
    await service.called(2);
    expect(service.calls.map((c) => c.values.map((v) => v.transactionId))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    service.calls[0].answer();
    await service.called(3);
    expect(service.calls[2].values.map((v) => v.transactionId)).toEqual(['e']);
    service.calls[1].answer();
    service.calls[2].answer();
    await drained;
    expect((await Promise.all(results)).map((r) => r.message)).toEqual([
      'applied a',
      'applied b',
      'applied c',
      'applied d',
      'applied e',
    ]);
  });
});
