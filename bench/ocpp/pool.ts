/**
 * The OCPP benchmark's load generators: K child processes (forked, so their CPU is not the server's and is
 * measured apart), each holding a share of the charge points. Requests go to all of them at once and their
 * answers are merged.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ClientKind } from './charger.js';
import type {
  ChargerSpec,
  ConnectResult,
  MeterResult,
  Reply,
  Request,
  SettleResult,
  StartResult,
  Stats,
  TransactionSpec,
} from './protocol.js';

const ENTRY = path.join(import.meta.dirname, 'generator.ts');

interface Generator {
  child: ChildProcess;
  pending: Map<number, (reply: Reply) => void>;
  exited: Promise<void>;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const mergeCounts = (counts: Array<Record<string, number>>) => {
  const merged: Record<string, number> = {};
  for (const c of counts) for (const [key, n] of Object.entries(c)) merged[key] = (merged[key] ?? 0) + n;
  return merged;
};

export class GeneratorPool {
  private readonly generators: Generator[] = [];
  private seq = 0;
  /** Which generator holds which charge point. */
  private readonly owner = new Map<string, number>();

  constructor(
    readonly size: number,
    client: ClientKind,
    callTimeoutMs: number,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    for (let i = 0; i < size; i++) {
      const child = fork(ENTRY, [client, String(callTimeoutMs)], {
        execArgv: ['--import', 'tsx'],
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const generator: Generator = {
        child,
        pending: new Map(),
        exited: new Promise((resolve) => child.once('exit', () => resolve())),
      };
      child.on('message', (message: { seq: number; reply: Reply }) => {
        generator.pending.get(message.seq)?.(message.reply);
        generator.pending.delete(message.seq);
      });
      child.once('exit', (code, signal) => {
        for (const resolve of generator.pending.values())
          resolve({ ok: false, error: `load generator ${child.pid} exited (${signal ?? code})` });
        generator.pending.clear();
      });
      this.generators.push(generator);
    }
  }

  get pids(): number[] {
    return this.generators.map((g) => g.child.pid).filter((pid): pid is number => pid !== undefined);
  }

  private ask<T>(index: number, request: Request): Promise<T> {
    const generator = this.generators[index];
    const seq = this.seq++;
    return new Promise<T>((resolve, reject) => {
      generator.pending.set(seq, (reply) => (reply.ok ? resolve(reply.result as T) : reject(new Error(reply.error))));
      if (!generator.child.connected) {
        generator.pending.delete(seq);
        return reject(new Error('load generator is gone'));
      }
      generator.child.send({ seq, request });
    });
  }

  /** Charge points dealt round-robin over the generators; each connects its share with `concurrency` in flight. */
  async connect(
    endpoint: string,
    chargers: ChargerSpec[],
    concurrency: number,
    deadline: number,
  ): Promise<ConnectResult> {
    const shares: ChargerSpec[][] = this.generators.map(() => []);
    chargers.forEach((charger, i) => {
      const index = i % this.size;
      shares[index].push(charger);
      this.owner.set(charger.chargePointId, index);
    });
    const results = await Promise.all(
      shares.map((share, i) =>
        this.ask<ConnectResult>(i, {
          op: 'connect',
          endpoint,
          chargers: share,
          concurrency: Math.max(1, Math.ceil(concurrency / this.size)),
          deadline,
        }),
      ),
    );
    return {
      attempted: sum(results.map((r) => r.attempted)),
      connected: sum(results.map((r) => r.connected)),
      failures: mergeCounts(results.map((r) => r.failures)),
      connectMs: results.flatMap((r) => r.connectMs),
      elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
      heartbeatIntervalS: [
        Math.min(...results.map((r) => r.heartbeatIntervalS[0] || Infinity)),
        Math.max(...results.map((r) => r.heartbeatIntervalS[1])),
      ],
    };
  }

  async stats(): Promise<Stats> {
    const results = await Promise.all(this.generators.map((_, i) => this.ask<Stats>(i, { op: 'stats' })));
    return {
      open: sum(results.map((r) => r.open)),
      current: sum(results.map((r) => r.current)),
      everConnected: sum(results.map((r) => r.everConnected)),
      closes: mergeCounts(results.map((r) => r.closes)),
      heartbeats: {
        sent: sum(results.map((r) => r.heartbeats.sent)),
        acked: sum(results.map((r) => r.heartbeats.acked)),
        failed: sum(results.map((r) => r.heartbeats.failed)),
      },
      heartbeatMs: results.flatMap((r) => r.heartbeatMs),
    };
  }

  async start(transactions: TransactionSpec[], concurrency: number, deadline: number): Promise<StartResult> {
    const shares: TransactionSpec[][] = this.generators.map(() => []);
    for (const t of transactions) shares[this.owner.get(t.chargePointId) ?? 0].push(t);
    const results = await Promise.all(
      shares.map((share, i) =>
        this.ask<StartResult>(i, {
          op: 'start',
          transactions: share,
          concurrency: Math.max(1, Math.ceil(concurrency / this.size)),
          deadline,
        }),
      ),
    );
    return {
      started: results.flatMap((r) => r.started),
      failures: mergeCounts(results.map((r) => r.failures)),
      elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
    };
  }

  /** `rate` MeterValues/s in total, split by each generator's share of the charging charge points. */
  async meter(rate: number, durationMs: number, charging: Map<number, number>, graceMs: number): Promise<MeterResult> {
    const total = sum([...charging.values()]);
    const startAt = Date.now() + 300;
    const results = await Promise.all(
      this.generators.map((_, i) =>
        this.ask<MeterResult>(i, {
          op: 'meter',
          rate: total ? (rate * (charging.get(i) ?? 0)) / total : 0,
          durationMs,
          startAt,
          graceMs,
        }),
      ),
    );
    return {
      scheduled: sum(results.map((r) => r.scheduled)),
      acked: sum(results.map((r) => r.acked)),
      ackedInWindow: sum(results.map((r) => r.ackedInWindow)),
      errors: mergeCounts(results.map((r) => r.errors)),
      latencyMs: results.flatMap((r) => r.latencyMs),
      windowMs: durationMs,
      lastAcked: results.flatMap((r) => r.lastAcked),
    };
  }

  async settle(timeoutMs: number): Promise<SettleResult> {
    const results = await Promise.all(
      this.generators.map((_, i) => this.ask<SettleResult>(i, { op: 'settle', timeoutMs })),
    );
    return { unsettled: sum(results.map((r) => r.unsettled)), lastAcked: results.flatMap((r) => r.lastAcked) };
  }

  /** Generator index → how many of `chargePointIds` it holds. */
  shareOf(chargePointIds: string[]): Map<number, number> {
    const counts = new Map<number, number>();
    for (const id of chargePointIds) {
      const index = this.owner.get(id) ?? 0;
      counts.set(index, (counts.get(index) ?? 0) + 1);
    }
    return counts;
  }

  /** Closes every connection, then ends the generators (by their own pids; SIGKILL if one does not go). */
  async close(): Promise<void> {
    await Promise.allSettled(this.generators.map((_, i) => this.ask(i, { op: 'close' })));
    for (const generator of this.generators) {
      if (generator.child.exitCode === null && generator.child.signalCode === null) generator.child.kill('SIGTERM');
      const timer = setTimeout(() => generator.child.kill('SIGKILL'), 3000);
      await generator.exited;
      clearTimeout(timer);
    }
  }
}

/** p-th percentile (0–100) of unsorted values, nearest rank; 0 for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
