import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedCharger, type ChargerOptions, type OcppProtocol } from '../../dev/charger/charger.js';
import { ScriptedCsms } from './scripted-csms.js';

const csms = new ScriptedCsms();
beforeAll(() => csms.listen());
afterAll(() => csms.close());

const chargers: SimulatedCharger[] = [];
afterEach(async () => {
  await Promise.all(chargers.splice(0).map((c) => c.close()));
});

let serial = 0;
async function startCharger(protocol: OcppProtocol, extra: Partial<ChargerOptions> = {}): Promise<SimulatedCharger> {
  const charger = new SimulatedCharger({
    url: csms.url,
    chargePointId: `CP-${protocol}-${++serial}`,
    password: 'secret',
    protocol,
    connectors: 2,
    powerKw: [150, 22],
    meterIntervalMs: 200,
    stepDelayMs: 20,
    ...extra,
  });
  chargers.push(charger);
  await charger.start();
  return charger;
}

/** Energy register values the CSMS received for a transaction, in order, with their timestamps. */
function energySamples(identity: string, protocol: OcppProtocol): Array<{ wh: number; at: number }> {
  const samples: Array<{ wh: number; at: number }> = [];
  for (const r of csms.received.filter((x) => x.identity === identity)) {
    const meterValues =
      protocol === 'ocpp1.6'
        ? r.method === 'MeterValues'
          ? r.params.meterValue
          : r.method === 'StopTransaction'
            ? r.params.transactionData
            : undefined
        : r.method === 'TransactionEvent'
          ? r.params.meterValue
          : undefined;
    for (const mv of (meterValues ?? []) as Array<{
      timestamp: string;
      sampledValue: Array<{
        value: string | number;
        measurand?: string;
        unit?: string;
        unitOfMeasure?: { unit: string };
      }>;
    }>) {
      const energy = mv.sampledValue.find((s) => s.measurand === 'Energy.Active.Import.Register')!;
      expect(energy.unit ?? energy.unitOfMeasure?.unit).toBe('Wh');
      samples.push({ wh: Number(energy.value), at: Date.parse(mv.timestamp) });
    }
  }
  return samples;
}

function statuses(identity: string, protocol: OcppProtocol, connector: number): string[] {
  return csms
    .from(identity, 'StatusNotification')
    .filter((r) => (protocol === 'ocpp1.6' ? r.params.connectorId : r.params.evseId) === connector)
    .map((r) => String(protocol === 'ocpp1.6' ? r.params.status : r.params.connectorStatus));
}

describe.each(['ocpp1.6', 'ocpp2.0.1'] as const)('simulated charger, %s', (protocol) => {
  const v16 = protocol === 'ocpp1.6';
  const startCommand = (idTag: string, connector: number, remoteStartId: number) =>
    v16
      ? ['RemoteStartTransaction', { connectorId: connector, idTag }]
      : ['RequestStartTransaction', { evseId: connector, idToken: { idToken: idTag, type: 'Central' }, remoteStartId }];
  const stopCommand = (transactionId: string) =>
    v16
      ? ['RemoteStopTransaction', { transactionId: Number(transactionId) }]
      : ['RequestStopTransaction', { transactionId }];

  it('boots, reports every connector Available and heartbeats at the interval the CSMS gave', async () => {
    const charger = await startCharger(protocol);
    const id = charger.chargePointId;
    const boot = csms.from(id, 'BootNotification')[0].params;
    if (v16) expect(boot).toMatchObject({ chargePointVendor: 'ChargeGraph', chargePointModel: 'Simulator' });
    else expect(boot).toMatchObject({ reason: 'PowerUp', chargingStation: { vendorName: 'ChargeGraph' } });
    expect(charger.heartbeatInterval).toBe(1);
    await charger.waitFor('heartbeat', undefined, 3_000);
    expect(csms.from(id, 'Heartbeat').length).toBeGreaterThanOrEqual(1);
    expect(statuses(id, protocol, 1)).toEqual(['Available']);
    expect(statuses(id, protocol, 2)).toEqual(['Available']);
  });

  it('remote start → transaction with meter values at the connector power → remote stop → Available', async () => {
    const charger = await startCharger(protocol);
    const id = charger.chargePointId;
    const started = charger.waitFor('transactionStarted');
    const [method, params] = startCommand('APP-1', 1, 7) as [string, Record<string, unknown>];
    expect(await csms.command(id, method, params)).toEqual({ status: 'Accepted' });
    const transaction = await started;
    expect(transaction).toMatchObject({ connector: 1, idTag: 'APP-1', meterStartWh: 1_000_000 });
    if (v16) {
      expect(transaction.transactionId).toBe(String(Number(transaction.transactionId)));
      expect(csms.from(id, 'StartTransaction')[0].params).toMatchObject({
        connectorId: 1,
        idTag: 'APP-1',
        meterStart: 1_000_000,
      });
    } else {
      expect(transaction.transactionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(transaction.remoteStartId).toBe(7);
      expect(csms.from(id, 'TransactionEvent')[0].params).toMatchObject({
        eventType: 'Started',
        triggerReason: 'RemoteStart',
        seqNo: 0,
        transactionInfo: { transactionId: transaction.transactionId, remoteStartId: 7, chargingState: 'Charging' },
        evse: { id: 1, connectorId: 1 },
        idToken: { idToken: 'APP-1' },
      });
    }
    await charger.waitFor('meterValues', (m) => m.energyWh > 0);
    await charger.waitFor('meterValues');

    const stopped = charger.waitFor('transactionStopped');
    const [stopMethod, stopParams] = stopCommand(transaction.transactionId) as [string, Record<string, unknown>];
    expect(await csms.command(id, stopMethod, stopParams)).toEqual({ status: 'Accepted' });
    const stop = await stopped;
    expect(stop.reason).toBe('Remote');
    await charger.waitFor('status', (s) => s.connector === 1 && s.status === 'Available');

    if (v16) {
      expect(csms.from(id, 'StopTransaction')[0].params).toMatchObject({
        transactionId: Number(transaction.transactionId),
        reason: 'Remote',
        meterStop: stop.meterStopWh,
      });
      expect(statuses(id, protocol, 1)).toEqual(['Available', 'Preparing', 'Charging', 'Finishing', 'Available']);
      for (const mv of csms.from(id, 'MeterValues'))
        expect(mv.params.transactionId).toBe(Number(transaction.transactionId));
    } else {
      const events = csms.from(id, 'TransactionEvent').map((r) => r.params);
      expect(events.map((e) => e.eventType)).toEqual(['Started', ...Array(events.length - 2).fill('Updated'), 'Ended']);
      expect(events.map((e) => e.seqNo)).toEqual(events.map((_, i) => i));
      expect(events.at(-1)).toMatchObject({
        triggerReason: 'RemoteStop',
        transactionInfo: { transactionId: transaction.transactionId, stoppedReason: 'Remote' },
      });
      expect(statuses(id, protocol, 1)).toEqual(['Available', 'Occupied', 'Available']);
    }

    // Plausible: monotonic in energy and time, never more than 150 kW over the time that passed.
    const samples = energySamples(id, protocol);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < samples.length; i++) {
      const gained = samples[i].wh - samples[i - 1].wh;
      expect(gained).toBeGreaterThanOrEqual(0);
      expect(samples[i].at).toBeGreaterThanOrEqual(samples[i - 1].at);
      expect(gained).toBeLessThanOrEqual((150_000 * (samples[i].at - samples[i - 1].at + 5)) / 3_600_000 + 1);
    }
    expect(stop.meterStopWh).toBe(samples.at(-1)!.wh);
    expect(stop.energyWh).toBe(stop.meterStopWh - 1_000_000);
    expect(stop.energyWh).toBeGreaterThan(0);
    expect(charger.transaction(1)).toBeUndefined();
  });

  it('RFID: Authorize, then a transaction with that tag; unplugging ends it with reason EVDisconnected', async () => {
    const charger = await startCharger(protocol);
    const id = charger.chargePointId;
    const result = await charger.plugInAndPresentTag(2, 'GOOD-TAG');
    expect(result.accepted).toBe(true);
    expect(csms.from(id, 'Authorize')).toHaveLength(1);
    const transaction = charger.transaction(2)!;
    expect(transaction).toMatchObject({ connector: 2, idTag: 'GOOD-TAG' });
    expect(transaction.remoteStartId).toBeUndefined();
    await charger.waitFor('meterValues', (m) => m.connector === 2 && m.energyWh > 0);

    const stop = await charger.unplug(2);
    expect(stop).toMatchObject({ reason: 'EVDisconnected', transactionId: transaction.transactionId });
    if (v16) {
      expect(csms.from(id, 'StopTransaction')[0].params).toMatchObject({ reason: 'EVDisconnected' });
      expect(statuses(id, protocol, 2)).toEqual(['Available', 'Preparing', 'Charging', 'Available']);
    } else {
      expect(csms.from(id, 'TransactionEvent')[0].params).toMatchObject({
        triggerReason: 'Authorized',
        idToken: { idToken: 'GOOD-TAG', type: 'ISO14443' },
      });
      expect(csms.from(id, 'TransactionEvent').at(-1)!.params).toMatchObject({
        eventType: 'Ended',
        triggerReason: 'EVCommunicationLost',
        transactionInfo: { stoppedReason: 'EVDisconnected' },
      });
      expect(statuses(id, protocol, 2)).toEqual(['Available', 'Occupied', 'Available']);
    }
    expect(charger.status(2)).toBe('Available');
  });

  it('an unknown tag is refused at Authorize and no transaction is started', async () => {
    const charger = await startCharger(protocol);
    const result = await charger.plugInAndPresentTag(1, 'STOLEN');
    expect(result).toEqual({ accepted: false, status: 'Invalid', stage: 'Authorize' });
    expect(csms.from(charger.chargePointId, v16 ? 'StartTransaction' : 'TransactionEvent')).toHaveLength(0);
    expect(charger.status(1)).toBe('Available');
  });

  it('refuseRemoteStart answers Rejected and starts nothing; a busy connector or unknown transaction is refused', async () => {
    const refusing = await startCharger(protocol, { refuseRemoteStart: true });
    const [method, params] = startCommand('APP-2', 1, 8) as [string, Record<string, unknown>];
    expect(await csms.command(refusing.chargePointId, method, params)).toEqual({ status: 'Rejected' });

    const charger = await startCharger(protocol);
    const started = charger.waitFor('transactionStarted');
    expect(await csms.command(charger.chargePointId, method, params)).toEqual({ status: 'Accepted' });
    await started;
    expect(await csms.command(charger.chargePointId, method, params)).toEqual({ status: 'Rejected' });
    const [stopMethod, stopParams] = stopCommand(v16 ? '999999' : '00000000-0000-0000-0000-000000000000') as [
      string,
      Record<string, unknown>,
    ];
    expect(await csms.command(charger.chargePointId, stopMethod, stopParams)).toEqual({ status: 'Rejected' });

    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(csms.from(refusing.chargePointId, v16 ? 'StartTransaction' : 'TransactionEvent')).toHaveLength(0);
    expect(statuses(refusing.chargePointId, protocol, 1)).toEqual(['Available']);
  });

  it('ignoreCommands never answers: the CSMS runs into its timeout', async () => {
    const charger = await startCharger(protocol, { ignoreCommands: true });
    const [method, params] = startCommand('APP-3', 1, 9) as [string, Record<string, unknown>];
    await expect(csms.command(charger.chargePointId, method, params, 300)).rejects.toThrow(/timeout/i);
    expect(charger.transaction(1)).toBeUndefined();
  });

  it('a start the CSMS answers with an invalid tag is ended at once', async () => {
    const charger = await startCharger(protocol);
    const rejected = charger.waitFor('transactionRejected');
    const [method, params] = startCommand('NOBODY', 1, 10) as [string, Record<string, unknown>];
    expect(await csms.command(charger.chargePointId, method, params)).toEqual({ status: 'Accepted' });
    expect(await rejected).toMatchObject({ connector: 1, status: 'Invalid' });
    const id = charger.chargePointId;
    if (v16) expect(csms.from(id, 'StopTransaction')[0].params).toMatchObject({ reason: 'DeAuthorized' });
    else
      expect(csms.from(id, 'TransactionEvent').at(-1)!.params).toMatchObject({
        eventType: 'Ended',
        transactionInfo: { stoppedReason: 'DeAuthorized' },
      });
    expect(charger.status(1)).toBe('Available');
    expect(statuses(id, protocol, 1).at(-1)).toBe('Available');
  });

  it('energyScale inflates the meter (for implausibility tests)', async () => {
    const charger = await startCharger(protocol, { energyScale: 100, powerKw: 22 });
    await charger.plugInAndPresentTag(1, 'GOOD-X');
    const meter = await charger.waitFor('meterValues', (m) => m.energyWh > 0);
    // 22 kW × 100 for ≥ 200 ms is far above what the connector can deliver (≈ 1.2 Wh).
    expect(meter.energyWh).toBeGreaterThan(50);
  });

  it('reconnects after the CSMS drops it, boots again and reports its connectors', async () => {
    const charger = await startCharger(protocol);
    const id = charger.chargePointId;
    const rebooted = charger.waitFor('booted', undefined, 10_000);
    await csms.clients.get(id)!.close({ force: true });
    await rebooted;
    expect(csms.from(id, 'BootNotification')).toHaveLength(2);
    expect(statuses(id, protocol, 1)).toEqual(['Available', 'Available']);
    if (!v16) expect(csms.from(id, 'BootNotification')[1].params).toMatchObject({ reason: 'Unknown' });
  });

  it('close() lets its own call under way be answered first: the stop is delivered, nothing is cut off', async () => {
    const lines: string[] = [];
    const charger = await startCharger(protocol, { log: (line) => lines.push(line) });
    await charger.plugInAndPresentTag(1, 'GOOD-CLOSE');
    const stop = csms.holdNext(v16 ? 'StopTransaction' : 'TransactionEvent');
    const stopping = charger.unplug(1);
    await stop.arrived;
    const closing = charger.close();
    // close() waits for the answer: the socket is still open after a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(charger.connected).toBe(true);
    stop.release();
    await closing;
    expect(charger.connected).toBe(false);
    expect(await stopping).toMatchObject({ reason: 'EVDisconnected' });
    // Without the wait the pending call is rejected ("Client going away") and the charger logs the stop as failed.
    expect(lines.filter((line) => /failed/.test(line))).toEqual([]);
  });
});

describe('simulated charger memory (stateFile)', () => {
  it.each(['ocpp1.6', 'ocpp2.0.1'] as const)(
    '%s: a transaction open at a power loss is ended after the restart (PowerLoss) with the last saved register',
    async (protocol) => {
      const stateFile = path.join(await mkdtemp(path.join(tmpdir(), 'cg-charger-')), 'state.json');
      const chargePointId = `CP-memory-${protocol}`;
      const options = { stateFile, chargePointId, connectors: 1, powerKw: 50 };
      const first = await startCharger(protocol, options);
      const started = await first.plugInAndPresentTag(1, 'GOOD-MEMORY');
      expect(started.accepted).toBe(true);
      const last = await first.waitFor('meterValues', (m) => m.energyWh > 0);
      await first.close(); // the power goes: nothing is sent

      const second = new SimulatedCharger({ url: csms.url, password: 'secret', protocol, ...options });
      chargers.push(second);
      const ended = second.waitFor('transactionStopped');
      await second.start();
      const stop = await ended;
      expect(stop).toMatchObject({ reason: 'PowerLoss', meterStopWh: last.energyRegisterWh, idTag: 'GOOD-MEMORY' });
      if (protocol === 'ocpp1.6')
        expect(csms.from(chargePointId, 'StopTransaction')[0].params).toMatchObject({
          transactionId: Number(stop.transactionId),
          reason: 'PowerLoss',
          meterStop: last.energyRegisterWh,
        });
      else {
        const events = csms.from(chargePointId, 'TransactionEvent').map((r) => r.params);
        expect(events.at(-1)).toMatchObject({
          eventType: 'Ended',
          triggerReason: 'AbnormalCondition',
          transactionInfo: { transactionId: stop.transactionId, stoppedReason: 'PowerLoss' },
        });
        expect(new Set(events.map((e) => e.seqNo)).size).toBe(events.length);
      }
      expect(second.status(1)).toBe('Available');
      expect(second.transaction(1)).toBeUndefined();
      // The register carries on from where it was, and the next restart has nothing left to end.
      expect(second.energyRegisterWh(1)).toBe(last.energyRegisterWh);
      await second.close();
      const third = new SimulatedCharger({ url: csms.url, password: 'secret', protocol, ...options });
      chargers.push(third);
      await third.start();
      expect(
        csms
          .from(chargePointId, protocol === 'ocpp1.6' ? 'StopTransaction' : 'TransactionEvent')
          .filter((r) => r.params.eventType !== 'Updated' && r.params.eventType !== 'Started'),
      ).toHaveLength(1);
    },
  );
});

describe('simulated charger handshake', () => {
  it('a wrong password is refused with 401 and start() says so', async () => {
    const charger = new SimulatedCharger({
      url: csms.url,
      chargePointId: 'CP-wrong',
      password: 'nope',
      protocol: 'ocpp1.6',
      connectors: 1,
      powerKw: 22,
    });
    await expect(charger.start()).rejects.toThrow(/HTTP 401/);
    await charger.close();
  });
});
