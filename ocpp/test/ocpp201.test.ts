import type { RPCClient } from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callError, charger, dropOcppDatabases, FakePlatform, startOcpp, until, type TestOcpp } from './support.js';

const platform = new FakePlatform();
let ocpp: TestOcpp;
let client: RPCClient;
const { chargePointId, password, login } = platform.addChargePoint('CP201', 2);

beforeAll(async () => {
  ocpp = await startOcpp(platform);
  client = charger(ocpp.wsUrl, chargePointId, password, 'ocpp2.0.1');
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await ocpp.server.close();
  await dropOcppDatabases(ocpp.config);
});

const energy = (timestamp: string, wh: number, context = 'Sample.Periodic') => ({
  timestamp,
  sampledValue: [
    { value: wh, measurand: 'Energy.Active.Import.Register', context },
    { value: 7200, measurand: 'Power.Active.Import' },
  ],
});
const statuses = () => platform.calls.status.map((report) => [report.ocppConnectorId, report.status]);

describe('OCPP 2.0.1', () => {
  it('BootNotification: Accepted with the interval; presence carries the station model and firmware', async () => {
    const answer = (await client.call('BootNotification', {
      reason: 'PowerUp',
      chargingStation: { vendorName: 'Acme', model: 'DC 50', firmwareVersion: '2.0.0' },
    })) as { status: string; interval: number };
    expect(answer).toMatchObject({ status: 'Accepted', interval: 60 });
    await until(() => platform.presenceOf(chargePointId).some((report) => report.model === 'DC 50'));
    expect(platform.presenceOf(chargePointId).at(-1)).toMatchObject({
      connected: true,
      protocol: 'OCPP201',
      vendor: 'Acme',
      firmwareVersion: '2.0.0',
    });
    expect(await client.call('Heartbeat', {})).toHaveProperty('currentTime');
  });

  it('StatusNotification by EVSE; an unknown EVSE or a second connector is PropertyConstraintViolation', async () => {
    platform.calls.status.length = 0;
    const timestamp = '2026-12-02T11:00:00.000Z';
    await client.call('StatusNotification', { timestamp, connectorStatus: 'Available', evseId: 1, connectorId: 1 });
    await client.call('StatusNotification', { timestamp, connectorStatus: 'Reserved', evseId: 2, connectorId: 1 });
    expect(statuses()).toEqual([
      [1, 'AVAILABLE'],
      [2, 'UNAVAILABLE'],
    ]);
    expect(
      (
        await callError(
          client.call('StatusNotification', { timestamp, connectorStatus: 'Available', evseId: 5, connectorId: 1 }),
        )
      ).code,
    ).toBe('PropertyConstraintViolation');
    expect(
      (
        await callError(
          client.call('StatusNotification', { timestamp, connectorStatus: 'Available', evseId: 1, connectorId: 2 }),
        )
      ).code,
    ).toBe('PropertyConstraintViolation');
  });

  it('Authorize maps the token status', async () => {
    expect(await client.call('Authorize', { idToken: { idToken: 'GOODTAG', type: 'ISO14443' } })).toEqual({
      idTokenInfo: { status: 'Accepted' },
    });
    expect(await client.call('Authorize', { idToken: { idToken: 'BAD', type: 'ISO14443' } })).toEqual({
      idTokenInfo: { status: 'Invalid' },
    });
  });

  it('TransactionEvent Started (remote start) / Updated / Ended; chargingState refines the connector status', async () => {
    const transactionId = 'tx-201-a';
    platform.calls.status.length = 0;
    await client.call('StatusNotification', {
      timestamp: '2026-12-02T11:00:00.000Z',
      connectorStatus: 'Occupied',
      evseId: 1,
      connectorId: 1,
    });
    expect(statuses()).toEqual([[1, 'PREPARING']]);
    const started = await client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: '2026-12-02T11:00:05.000Z',
      triggerReason: 'RemoteStart',
      seqNo: 0,
      transactionInfo: { transactionId, remoteStartId: 42, chargingState: 'Charging' },
      evse: { id: 1, connectorId: 1 },
      meterValue: [energy('2026-12-02T11:00:05.000Z', 10_000, 'Transaction.Begin')],
    });
    expect(started).toEqual({});
    expect(platform.calls.start.at(-1)).toEqual({
      chargePointId,
      stationId: login.stationId,
      connectorId: login.connectors[0].connectorId,
      idTag: '',
      meterStartWh: 10_000,
      timestamp: new Date('2026-12-02T11:00:05.000Z'),
      remoteStartId: 42,
      transactionId,
    });
    expect(statuses().at(-1)).toEqual([1, 'CHARGING']);

    platform.calls.meterBatches.length = 0;
    await client.call('TransactionEvent', {
      eventType: 'Updated',
      timestamp: '2026-12-02T11:01:00.000Z',
      triggerReason: 'MeterValuePeriodic',
      seqNo: 1,
      transactionInfo: { transactionId, chargingState: 'SuspendedEV' },
      meterValue: [
        {
          timestamp: '2026-12-02T11:01:00.000Z',
          sampledValue: [{ value: 10.5, measurand: 'Energy.Active.Import.Register', unitOfMeasure: { unit: 'kWh' } }],
        },
      ],
    });
    expect(platform.calls.meterBatches.flat()).toEqual([
      {
        chargePointId,
        stationId: login.stationId,
        transactionId,
        energyRegisterWh: 10_500,
        measuredAt: new Date('2026-12-02T11:01:00.000Z'),
      },
    ]);
    expect(statuses().at(-1)).toEqual([1, 'SUSPENDED']);

    await client.call('TransactionEvent', {
      eventType: 'Ended',
      timestamp: '2026-12-02T11:05:00.000Z',
      triggerReason: 'StopAuthorized',
      seqNo: 2,
      transactionInfo: { transactionId, stoppedReason: 'Remote', chargingState: 'EVConnected' },
      meterValue: [energy('2026-12-02T11:05:00.000Z', 12_345, 'Transaction.End')],
    });
    expect(platform.calls.stop.at(-1)).toEqual({
      chargePointId,
      stationId: login.stationId,
      transactionId,
      meterStopWh: 12_345,
      timestamp: new Date('2026-12-02T11:05:00.000Z'),
      reason: 'Remote',
    });
    expect(statuses().at(-1)).toEqual([1, 'FINISHING']);
    await client.call('StatusNotification', {
      timestamp: '2026-12-02T11:06:00.000Z',
      connectorStatus: 'Available',
      evseId: 1,
      connectorId: 1,
    });
    expect(statuses().at(-1)).toEqual([1, 'AVAILABLE']);
  });

  it('a transaction started at the charger is started on the platform once its token is presented', async () => {
    const transactionId = 'tx-201-b';
    const starts = platform.calls.start.length;
    // Cable first: no token, no session yet.
    await client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: '2026-12-02T12:00:00.000Z',
      triggerReason: 'CablePluggedIn',
      seqNo: 0,
      transactionInfo: { transactionId, chargingState: 'EVConnected' },
      evse: { id: 2, connectorId: 1 },
    });
    expect(platform.calls.start.length).toBe(starts);
    const authorized = await client.call('TransactionEvent', {
      eventType: 'Updated',
      timestamp: '2026-12-02T12:00:10.000Z',
      triggerReason: 'Authorized',
      seqNo: 1,
      transactionInfo: { transactionId, chargingState: 'Charging' },
      idToken: { idToken: 'GOODTAG', type: 'ISO14443' },
      meterValue: [energy('2026-12-02T12:00:10.000Z', 500)],
    });
    expect(authorized).toEqual({ idTokenInfo: { status: 'Accepted' } });
    expect(platform.calls.start.at(-1)).toMatchObject({
      connectorId: login.connectors[1].connectorId,
      idTag: 'GOODTAG',
      transactionId,
      meterStartWh: 500,
    });
    // A token the platform does not know: Invalid, as the charger must stop.
    const other = await client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: '2026-12-02T12:10:00.000Z',
      triggerReason: 'Authorized',
      seqNo: 0,
      transactionInfo: { transactionId: 'tx-201-c' },
      evse: { id: 1 },
      idToken: { idToken: 'STRANGER', type: 'ISO14443' },
    });
    expect(other).toEqual({ idTokenInfo: { status: 'Invalid' } });
  });

  it('Started without an EVSE is OccurrenceConstraintViolation; an unknown EVSE PropertyConstraintViolation', async () => {
    const base = { timestamp: '2026-12-02T13:00:00.000Z', triggerReason: 'Authorized', seqNo: 0 };
    expect(
      (
        await callError(
          client.call('TransactionEvent', {
            ...base,
            eventType: 'Started',
            transactionInfo: { transactionId: 'tx-x' },
          }),
        )
      ).code,
    ).toBe('OccurrenceConstraintViolation');
    expect(
      (
        await callError(
          client.call('TransactionEvent', {
            ...base,
            eventType: 'Started',
            transactionInfo: { transactionId: 'tx-y' },
            evse: { id: 9 },
          }),
        )
      ).code,
    ).toBe('PropertyConstraintViolation');
  });
});
