/**
 * Metrics of the OCPP process, on the process registry (`GET /metrics`):
 * - chargegraph_ocpp_connected_chargers{protocol}
 * - chargegraph_ocpp_messages_total{action, result}: inbound calls by action, result `ok` or the CALLERROR code
 * - chargegraph_ocpp_handshakes_total{outcome}: accepted / unauthorized / refused
 * - chargegraph_ocpp_command_duration_seconds{action, outcome}: commands to chargers, POST /commands to answer
 * - chargegraph_ocpp_meter_batch_size: meter values per chargerMeterValues call
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { processMetrics } from '../platform/metrics.js';

/** Actions we label by name; anything else a charger sends is `other` (bounded series). */
const KNOWN_ACTIONS = new Set([
  'BootNotification',
  'Heartbeat',
  'StatusNotification',
  'Authorize',
  'StartTransaction',
  'MeterValues',
  'StopTransaction',
  'TransactionEvent',
  'DataTransfer',
  'FirmwareStatusNotification',
  'DiagnosticsStatusNotification',
  'SecurityEventNotification',
  'NotifyEvent',
  'NotifyReport',
  'LogStatusNotification',
]);

export const actionLabel = (action: string): string => (KNOWN_ACTIONS.has(action) ? action : 'other');

class OcppMetrics {
  private readonly registry = processMetrics().registry;
  readonly connected = new Gauge({
    name: 'chargegraph_ocpp_connected_chargers',
    help: 'Charge points connected to this process',
    labelNames: ['protocol'],
    registers: [this.registry],
  });
  readonly messages = new Counter({
    name: 'chargegraph_ocpp_messages_total',
    help: 'OCPP calls received from charge points, by action and result (ok or the CALLERROR code)',
    labelNames: ['action', 'result'],
    registers: [this.registry],
  });
  readonly handshakes = new Counter({
    name: 'chargegraph_ocpp_handshakes_total',
    help: 'WebSocket handshakes of charge points, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly commandDuration = new Histogram({
    name: 'chargegraph_ocpp_command_duration_seconds',
    help: 'Commands to charge points until their answer, by action and outcome',
    labelNames: ['action', 'outcome'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers: [this.registry],
  });
  readonly meterBatchSize = new Histogram({
    name: 'chargegraph_ocpp_meter_batch_size',
    help: 'Meter values sent to the session service in one call',
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
}

let instance: OcppMetrics | undefined;

/** Created once per process (tests run several OCPP servers in one). */
export function ocppMetrics(): OcppMetrics {
  instance ??= new OcppMetrics();
  return instance;
}
