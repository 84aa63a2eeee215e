/**
 * A load generator process of the OCPP benchmark (forked by `pool.ts`; `node --import tsx bench/ocpp/generator.ts
 * <ws|rpc> <callTimeoutMs>`): holds its share of the simulated charge points, each one OCPP 1.6-J connection that
 * boots, reports its connectors, heartbeats at the interval the server gave, and on request starts a transaction
 * and sends MeterValues at an open-loop rate. Like a real charger, each sends one CALL at a time (the next waits
 * for the answer); latency is counted from the moment a MeterValues was due, so a slow server cannot hide behind
 * a slow generator.
 */
import { CallError, createConnection, type ChargerConnection, type ClientKind } from './charger.js';
import {
  METER_START_WH,
  type ChargerSpec,
  type ConnectResult,
  type MeterResult,
  type Reply,
  type Request,
  type SettleResult,
  type StartResult,
  type Stats,
  type TransactionSpec,
} from './protocol.js';

const [clientArg = 'ws', timeoutArg = '30000'] = process.argv.slice(2);
const client = clientArg as ClientKind;
const callTimeoutMs = Number(timeoutArg);

interface Sim {
  spec: ChargerSpec;
  connection: ChargerConnection;
  /** Calls of this charger run one after another. */
  chain: Promise<unknown>;
  connectedAt: number;
  heartbeatIntervalMs: number;
  lastAckAt: number;
  heartbeatFailedSince: boolean;
  timer?: NodeJS.Timeout;
  transaction?: {
    id: number;
    connectorId: number;
    energyWh: number;
    acked?: { energyWh: number; measuredAt: string };
  };
}

const sims = new Map<string, Sim>();
let everConnected = 0;
const closes: Record<string, number> = {};
const heartbeats = { sent: 0, acked: 0, failed: 0 };
let heartbeatMs: number[] = [];

const bump = (counts: Record<string, number>, key: string) => void (counts[key] = (counts[key] ?? 0) + 1);
const reasonOf = (error: unknown) =>
  error instanceof CallError
    ? error.code
    : (error instanceof Error ? error.message : String(error)).replace(/\d{2,}/g, 'N').slice(0, 80);

/** Runs `call` after the charger's previous call has been answered. */
function serial<T>(sim: Sim, call: () => Promise<T>): Promise<T> {
  const next = sim.chain.then(call, call);
  sim.chain = next.catch(() => {});
  return next;
}

async function forEachLimited<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (index < items.length) await task(items[index++]);
    }),
  );
}

function scheduleHeartbeat(sim: Sim, delayMs: number): void {
  sim.timer = setTimeout(() => {
    if (!sim.connection.open) return;
    const sentAt = performance.now();
    heartbeats.sent++;
    serial(sim, () => sim.connection.call('Heartbeat', {})).then(
      () => {
        heartbeats.acked++;
        sim.lastAckAt = performance.now();
        sim.heartbeatFailedSince = false;
        heartbeatMs.push(sim.lastAckAt - sentAt);
      },
      () => {
        heartbeats.failed++;
        sim.heartbeatFailedSince = true;
      },
    );
    scheduleHeartbeat(sim, sim.heartbeatIntervalMs);
  }, delayMs);
  sim.timer.unref();
}

async function connect(
  endpoint: string,
  chargers: ChargerSpec[],
  concurrency: number,
  deadline: number,
): Promise<ConnectResult> {
  const started = performance.now();
  const failures: Record<string, number> = {};
  const connectMs: number[] = [];
  let minInterval = Infinity;
  let maxInterval = 0;
  await forEachLimited(chargers, concurrency, async (spec) => {
    if (Date.now() > deadline) return void bump(failures, 'skipped: time budget');
    const t0 = performance.now();
    const connection = createConnection(client, {
      endpoint,
      chargePointId: spec.chargePointId,
      password: spec.password,
      protocol: 'ocpp1.6',
      callTimeoutMs,
    });
    const sim: Sim = {
      spec,
      connection,
      chain: Promise.resolve(),
      connectedAt: 0,
      heartbeatIntervalMs: 0,
      lastAckAt: 0,
      heartbeatFailedSince: false,
    };
    try {
      await connection.connect();
      const boot = await connection.call<{ status: string; interval: number }>('BootNotification', {
        chargePointVendor: 'ChargeGraph bench',
        chargePointModel: 'SimPoint 1.6',
        firmwareVersion: '1.0.0',
      });
      if (boot.status !== 'Accepted') throw new Error(`boot ${boot.status}`);
      const now = new Date().toISOString();
      for (let connectorId = 0; connectorId <= spec.connectors; connectorId++)
        await connection.call('StatusNotification', {
          connectorId,
          errorCode: 'NoError',
          status: 'Available',
          timestamp: now,
        });
      sim.heartbeatIntervalMs = Math.max(1, boot.interval) * 1000;
      minInterval = Math.min(minInterval, boot.interval);
      maxInterval = Math.max(maxInterval, boot.interval);
      sim.connectedAt = sim.lastAckAt = performance.now();
      connectMs.push(sim.connectedAt - t0);
      everConnected++;
      sims.set(spec.chargePointId, sim);
      connection.onClose((code) => {
        bump(closes, String(code));
        clearTimeout(sim.timer);
      });
      // Spread the heartbeats over the interval, as chargers that booted at different times would.
      scheduleHeartbeat(sim, Math.random() * sim.heartbeatIntervalMs);
    } catch (error) {
      bump(failures, reasonOf(error));
      connection.close();
    }
  });
  return {
    attempted: chargers.length,
    connected: connectMs.length,
    failures,
    connectMs,
    elapsedMs: performance.now() - started,
    heartbeatIntervalS: [Number.isFinite(minInterval) ? minInterval : 0, maxInterval],
  };
}

function stats(): Stats {
  const now = performance.now();
  let open = 0;
  let current = 0;
  for (const sim of sims.values()) {
    if (!sim.connection.open) continue;
    open++;
    if (!sim.heartbeatFailedSince && now - sim.lastAckAt <= sim.heartbeatIntervalMs * 1.5 + 1000) current++;
  }
  const result: Stats = {
    open,
    current,
    everConnected,
    closes: { ...closes },
    heartbeats: { ...heartbeats },
    heartbeatMs,
  };
  heartbeatMs = [];
  return result;
}

async function start(transactions: TransactionSpec[], concurrency: number, deadline: number): Promise<StartResult> {
  const t0 = performance.now();
  const started: StartResult['started'] = [];
  const failures: Record<string, number> = {};
  await forEachLimited(transactions, concurrency, async ({ chargePointId, idTag, connectorId }) => {
    if (Date.now() > deadline) return void bump(failures, 'skipped: time budget');
    const sim = sims.get(chargePointId);
    if (!sim?.connection.open) return void bump(failures, 'not connected');
    try {
      await serial(sim, async () => {
        const authorized = await sim.connection.call<{ idTagInfo: { status: string } }>('Authorize', { idTag });
        if (authorized.idTagInfo.status !== 'Accepted') throw new Error(`Authorize ${authorized.idTagInfo.status}`);
        await sim.connection.call('StatusNotification', {
          connectorId,
          errorCode: 'NoError',
          status: 'Preparing',
          timestamp: new Date().toISOString(),
        });
        const meterStart = METER_START_WH;
        const answer = await sim.connection.call<{ transactionId: number; idTagInfo: { status: string } }>(
          'StartTransaction',
          { connectorId, idTag, meterStart, timestamp: new Date().toISOString() },
        );
        if (answer.idTagInfo.status !== 'Accepted') throw new Error(`StartTransaction ${answer.idTagInfo.status}`);
        await sim.connection.call('StatusNotification', {
          connectorId,
          errorCode: 'NoError',
          status: 'Charging',
          timestamp: new Date().toISOString(),
        });
        sim.transaction = { id: answer.transactionId, connectorId, energyWh: meterStart };
        started.push({ chargePointId, transactionId: answer.transactionId });
      });
    } catch (error) {
      bump(failures, reasonOf(error));
    }
  });
  return { started, failures, elapsedMs: performance.now() - t0 };
}

/** A few Wh per value: far below what any connector could deliver between two values (plausibility holds). */
const WH_PER_VALUE = 3;

async function meter(rate: number, durationMs: number, startAt: number, graceMs: number): Promise<MeterResult> {
  const charging = [...sims.values()].filter((s) => s.transaction && s.connection.open);
  const result: MeterResult = {
    scheduled: 0,
    acked: 0,
    ackedInWindow: 0,
    errors: {},
    latencyMs: [],
    windowMs: durationMs,
    lastAcked: [],
  };
  if (charging.length === 0 || rate <= 0) return result;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  const t0 = performance.now();
  const end = t0 + durationMs;
  const calls: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = Math.min(performance.now(), end);
      const due = Math.floor(((now - t0) * rate) / 1000);
      while (result.scheduled < due) {
        const dueAt = t0 + (result.scheduled * 1000) / rate;
        result.scheduled++;
        const sim = charging[next++ % charging.length];
        const transaction = sim.transaction!;
        calls.push(
          serial(sim, () => {
            transaction.energyWh += WH_PER_VALUE;
            const energyWh = transaction.energyWh;
            const measuredAt = new Date().toISOString();
            return sim.connection
              .call('MeterValues', {
                connectorId: transaction.connectorId,
                transactionId: transaction.id,
                meterValue: [
                  {
                    timestamp: measuredAt,
                    sampledValue: [
                      {
                        value: String(energyWh),
                        context: 'Sample.Periodic',
                        measurand: 'Energy.Active.Import.Register',
                        unit: 'Wh',
                      },
                    ],
                  },
                ],
              })
              .then(() => ({ energyWh, measuredAt }));
          }).then(
            ({ energyWh, measuredAt }) => {
              const at = performance.now();
              result.acked++;
              if (at <= end) result.ackedInWindow++;
              result.latencyMs.push(at - dueAt);
              transaction.acked = { energyWh, measuredAt };
            },
            (error: unknown) => bump(result.errors, reasonOf(error)),
          ),
        );
      }
      if (now >= end) {
        clearInterval(tick);
        resolve();
      }
    }, 2);
  });
  // Calls still unanswered after the grace period count as errors (they keep running; their answers are ignored).
  const settled = Promise.allSettled(calls);
  const timedOut = await Promise.race([
    settled.then(() => false),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(true), graceMs)),
  ]);
  if (timedOut) {
    const unanswered = result.scheduled - result.acked - Object.values(result.errors).reduce((sum, n) => sum + n, 0);
    if (unanswered > 0) result.errors['not answered in the window + grace'] = unanswered;
  }
  result.lastAcked = lastAcked(charging);
  return { ...result, latencyMs: [...result.latencyMs] };
}

function lastAcked(charging: Sim[]): MeterResult['lastAcked'] {
  return charging
    .filter((s) => s.transaction?.acked)
    .map((s) => ({
      chargePointId: s.spec.chargePointId,
      transactionId: s.transaction!.id,
      energyWh: s.transaction!.acked!.energyWh,
      measuredAt: s.transaction!.acked!.measuredAt,
    }));
}

/** Waits for every charging charger's calls to be answered (at most timeoutMs); the settled ones' last values. */
async function settle(timeoutMs: number): Promise<SettleResult> {
  const charging = [...sims.values()].filter((s) => s.transaction);
  const settled = new Set<Sim>();
  await Promise.race([
    Promise.all(charging.map((s) => s.chain.then(() => void settled.add(s)))),
    new Promise((resolve) => setTimeout(resolve, timeoutMs)),
  ]);
  return { unsettled: charging.length - settled.size, lastAcked: lastAcked([...settled]) };
}

function closeAll(): null {
  for (const sim of sims.values()) {
    clearTimeout(sim.timer);
    sim.connection.close();
  }
  sims.clear();
  return null;
}

async function handle(request: Request): Promise<Reply> {
  try {
    switch (request.op) {
      case 'connect':
        return {
          ok: true,
          result: await connect(request.endpoint, request.chargers, request.concurrency, request.deadline),
        };
      case 'stats':
        return { ok: true, result: stats() };
      case 'start':
        return { ok: true, result: await start(request.transactions, request.concurrency, request.deadline) };
      case 'meter':
        return {
          ok: true,
          result: await meter(request.rate, request.durationMs, request.startAt, request.graceMs),
        };
      case 'settle':
        return { ok: true, result: await settle(request.timeoutMs) };
      case 'close':
        return { ok: true, result: closeAll() };
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

process.on('message', (message: { seq: number; request: Request }) => {
  void handle(message.request).then((reply) => process.send?.({ seq: message.seq, reply }));
});
// The parent going away ends this generator too.
process.on('disconnect', () => process.exit(0));
