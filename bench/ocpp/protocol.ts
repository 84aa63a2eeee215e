/** Messages between the OCPP benchmark and its load generator processes (over the fork IPC channel). */
import type { ClientKind } from './charger.js';

/** Energy register of every simulated charger when its transaction starts. */
export const METER_START_WH = 1000;

export interface ChargerSpec {
  chargePointId: string;
  password: string;
  /** Connectors 1..n (StatusNotification for each after boot). */
  connectors: number;
}

export interface TransactionSpec {
  chargePointId: string;
  idTag: string;
  connectorId: number;
}

export type Request =
  | {
      op: 'connect';
      endpoint: string;
      chargers: ChargerSpec[];
      /** Handshakes + boots in flight at once in this generator. */
      concurrency: number;
      /** No connect is begun after this (Date.now()); those count as skipped. */
      deadline: number;
    }
  | { op: 'stats' }
  /** Starts transactions; none is begun after `deadline` (Date.now()): those count as skipped. */
  | { op: 'start'; transactions: TransactionSpec[]; concurrency: number; deadline: number }
  | {
      op: 'meter';
      /** MeterValues per second from this generator, spread over its chargers in a transaction. */
      rate: number;
      durationMs: number;
      /** Date.now() at which every generator begins (so their windows coincide). */
      startAt: number;
      /** How long after the window unanswered calls may still be acknowledged. */
      graceMs: number;
    }
  /** Waits (at most timeoutMs) until every charger's calls are answered; then the last acknowledged values. */
  | { op: 'settle'; timeoutMs: number }
  | { op: 'close' };

export interface ConnectResult {
  attempted: number;
  connected: number;
  /** reason → count (HTTP status at the upgrade, boot not accepted, timeouts, …) */
  failures: Record<string, number>;
  /** ms from the upgrade request to the accepted BootNotification, one per connected charger */
  connectMs: number[];
  elapsedMs: number;
  /** The heartbeat interval the server gave in its BootNotification answers (seconds; min–max). */
  heartbeatIntervalS: [number, number];
}

export interface Stats {
  open: number;
  /** open, and its last heartbeat (or the boot) acknowledged within 1.5 × the interval */
  current: number;
  everConnected: number;
  closes: Record<string, number>;
  heartbeats: { sent: number; acked: number; failed: number };
  /** ms, heartbeat acknowledgements since the previous `stats` */
  heartbeatMs: number[];
}

export interface StartResult {
  started: Array<{ chargePointId: string; transactionId: number }>;
  failures: Record<string, number>;
  elapsedMs: number;
}

export interface MeterResult {
  scheduled: number;
  acked: number;
  /** acknowledgements that arrived inside the window */
  ackedInWindow: number;
  errors: Record<string, number>;
  /** ms from the moment each acknowledged MeterValues was due (open loop: queueing counts) to its acknowledgement */
  latencyMs: number[];
  windowMs: number;
  /** per charger in a transaction: the last energy register value the server acknowledged */
  lastAcked: Array<{ chargePointId: string; transactionId: number; energyWh: number; measuredAt: string }>;
}

export interface SettleResult {
  /** Chargers whose calls were still unanswered at the timeout. */
  unsettled: number;
  /** Of the chargers whose calls all were answered. */
  lastAcked: MeterResult['lastAcked'];
}

export type Reply =
  | { ok: true; result: ConnectResult | Stats | StartResult | MeterResult | SettleResult | null }
  | { ok: false; error: string };

export interface GeneratorOptions {
  client: ClientKind;
  callTimeoutMs: number;
}
