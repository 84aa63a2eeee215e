import type { RPCClient } from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callError, charger, dropOcppDatabases, FakePlatform, startOcpp, until, type TestOcpp } from './support.js';

const platform = new FakePlatform();
let ocpp: TestOcpp;
let client: RPCClient;
const { chargePointId, password, login } = platform.addChargePoint('CP16', 2);

beforeAll(async () => {
  ocpp = await startOcpp(platform, undefined, { OCPP_HEARTBEAT_INTERVAL_SECONDS: '30' });
  client = charger(ocpp.wsUrl, chargePointId, password, 'ocpp1.6');
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await ocpp.server.close();
  await dropOcppDatabases(ocpp.config);
});

const at = '2026-12-02T10:00:00.000Z';

describe('OCPP 1.6', () => {
  it('BootNotification: Accepted with the configured interval; presence carries vendor, model, firmware', async () => {
    const answer = (await client.call('BootNotification', {
      chargePointVendor: 'Acme',
      chargePointModel: 'Wallbox 22',
      firmwareVersion: '1.2.3',
    })) as { status: string; interval: number; currentTime: string };
    expect(answer.status).toBe('Accepted');
    expect(answer.interval).toBe(30);
    expect(Number.isNaN(Date.parse(answer.currentTime))).toBe(false);
    await until(() => platform.presenceOf(chargePointId).some((report) => report.vendor === 'Acme'));
    const report = platform.presenceOf(chargePointId).at(-1)!;
    expect(report).toMatchObject({
      connected: true,
      protocol: 'OCPP16',
      model: 'Wallbox 22',
      firmwareVersion: '1.2.3',
    });
    // Offline three heartbeat intervals after it was last heard.
    expect(report.offlineAfter.getTime() - report.lastSeenAt.getTime()).toBe(90_000);
  });

  it('Heartbeat answers the time and coalesces last-seen into the periodic presence batch', async () => {
    const before = platform.presenceOf(chargePointId).length;
    const answer = (await client.call('Heartbeat', {})) as { currentTime: string };
    expect(Date.parse(answer.currentTime)).toBeGreaterThan(Date.now() - 5_000);
    await client.call('Heartbeat', {});
    await ocpp.server.presence.flush();
    // Two heartbeats, one report.
    expect(platform.presenceOf(chargePointId).length).toBe(before + 1);
  });

  it('StatusNotification maps statuses; connector 0 Faulted applies to every connector until it clears', async () => {
    platform.calls.status.length = 0;
    await client.call('StatusNotification', {
      connectorId: 1,
      errorCode: 'NoError',
      status: 'Charging',
      timestamp: at,
    });
    await client.call('StatusNotification', {
      connectorId: 2,
      errorCode: 'NoError',
      status: 'SuspendedEV',
      timestamp: at,
    });
    expect(platform.calls.status.map((report) => [report.ocppConnectorId, report.status])).toEqual([
      [1, 'CHARGING'],
      [2, 'SUSPENDED'],
    ]);
    expect(platform.calls.status[0]).toMatchObject({ chargePointId, at: new Date(at) });
    platform.calls.status.length = 0;
    await client.call('StatusNotification', { connectorId: 0, errorCode: 'GroundFailure', status: 'Faulted' });
    expect(platform.calls.status.map((report) => [report.ocppConnectorId, report.status]).sort()).toEqual([
      [1, 'FAULTED'],
      [2, 'FAULTED'],
    ]);
    // While the whole charger is faulted a connector's own status is remembered, not shown.
    platform.calls.status.length = 0;
    await client.call('StatusNotification', { connectorId: 2, errorCode: 'NoError', status: 'Available' });
    expect(platform.calls.status.map((report) => report.status)).toEqual(['FAULTED']);
    platform.calls.status.length = 0;
    await client.call('StatusNotification', { connectorId: 0, errorCode: 'NoError', status: 'Available' });
    expect(platform.calls.status.map((report) => [report.ocppConnectorId, report.status]).sort()).toEqual([
      [1, 'CHARGING'],
      [2, 'AVAILABLE'],
    ]);
  });

  it('refuses a connector the station does not have with PropertyConstraintViolation', async () => {
    const error = await callError(
      client.call('StatusNotification', { connectorId: 3, errorCode: 'NoError', status: 'Available' }),
    );
    expect(error.code).toBe('PropertyConstraintViolation');
    expect(error.message).toMatch(/Connector 3/);
    expect(
      (
        await callError(
          client.call('StartTransaction', { connectorId: 7, idTag: 'GOODTAG', meterStart: 0, timestamp: at }),
        )
      ).code,
    ).toBe('PropertyConstraintViolation');
  });

  it('Authorize answers the platform status of the tag', async () => {
    expect(await client.call('Authorize', { idTag: 'GOODTAG' })).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(await client.call('Authorize', { idTag: 'NOBODY' })).toEqual({ idTagInfo: { status: 'Invalid' } });
    expect(platform.calls.authorize.at(-1)).toEqual({ chargePointId, stationId: login.stationId, idTag: 'NOBODY' });
  });

  it('StartTransaction → integer transactionId; MeterValues (Wh, kWh) → Wh; StopTransaction', async () => {
    const start = (await client.call('StartTransaction', {
      connectorId: 2,
      idTag: 'GOODTAG',
      meterStart: 1500,
      timestamp: at,
    })) as { transactionId: number; idTagInfo: { status: string } };
    expect(Number.isInteger(start.transactionId)).toBe(true);
    expect(start.idTagInfo.status).toBe('Accepted');
    expect(platform.calls.start.at(-1)).toMatchObject({
      chargePointId,
      stationId: login.stationId,
      connectorId: login.connectors[1].connectorId,
      idTag: 'GOODTAG',
      meterStartWh: 1500,
      timestamp: new Date(at),
    });
    expect(platform.calls.start.at(-1)?.transactionId).toBeUndefined();

    platform.calls.meterBatches.length = 0;
    await client.call('MeterValues', {
      connectorId: 2,
      transactionId: start.transactionId,
      meterValue: [
        {
          timestamp: '2026-12-02T10:01:00.000Z',
          sampledValue: [
            { value: '2000', measurand: 'Energy.Active.Import.Register', unit: 'Wh' },
            { value: '11.2', measurand: 'Power.Active.Import', unit: 'kW' },
            { value: '16', measurand: 'Current.Import', unit: 'A', phase: 'L1' },
          ],
        },
        { timestamp: '2026-12-02T10:02:00.000Z', sampledValue: [{ value: '2.5', unit: 'kWh' }] },
      ],
    });
    const sent = platform.calls.meterBatches.flat();
    expect(sent.map((value) => [value.energyRegisterWh, value.measuredAt.toISOString()])).toEqual([
      [2000, '2026-12-02T10:01:00.000Z'],
      [2500, '2026-12-02T10:02:00.000Z'],
    ]);
    expect(sent[0]).toMatchObject({
      chargePointId,
      stationId: login.stationId,
      transactionId: String(start.transactionId),
    });

    // Values of other measurands only, or outside a transaction: nothing sent.
    platform.calls.meterBatches.length = 0;
    await client.call('MeterValues', {
      connectorId: 2,
      transactionId: start.transactionId,
      meterValue: [{ timestamp: at, sampledValue: [{ value: '230', measurand: 'Voltage', unit: 'V' }] }],
    });
    await client.call('MeterValues', {
      connectorId: 1,
      meterValue: [{ timestamp: at, sampledValue: [{ value: '5' }] }],
    });
    expect(platform.calls.meterBatches).toEqual([]);

    expect(
      await client.call('StopTransaction', {
        transactionId: start.transactionId,
        meterStop: 3100,
        timestamp: '2026-12-02T10:05:00.000Z',
        reason: 'EVDisconnected',
        idTag: 'GOODTAG',
      }),
    ).toEqual({ idTagInfo: { status: 'Accepted' } });
    expect(platform.calls.stop.at(-1)).toEqual({
      chargePointId,
      stationId: login.stationId,
      transactionId: String(start.transactionId),
      meterStopWh: 3100,
      timestamp: new Date('2026-12-02T10:05:00.000Z'),
      reason: 'EVDisconnected',
    });
  });

  it('an implausible meter value refused by the session service is a CALLERROR with its message', async () => {
    const start = (await client.call('StartTransaction', {
      connectorId: 1,
      idTag: 'GOODTAG',
      meterStart: 0,
      timestamp: at,
    })) as { transactionId: number };
    await client.call('MeterValues', {
      connectorId: 1,
      transactionId: start.transactionId,
      meterValue: [{ timestamp: '2026-12-02T10:01:00.000Z', sampledValue: [{ value: '5000' }] }],
    });
    const error = await callError(
      client.call('MeterValues', {
        connectorId: 1,
        transactionId: start.transactionId,
        meterValue: [{ timestamp: '2026-12-02T10:02:00.000Z', sampledValue: [{ value: '4000' }] }],
      }),
    );
    expect(error).toEqual({
      code: 'PropertyConstraintViolation',
      message: 'Energy register went backwards (5000 → 4000 Wh).',
    });
    // A value that is not a number is refused before it reaches the platform.
    const batches = platform.calls.meterBatches.length;
    expect(
      (
        await callError(
          client.call('MeterValues', {
            connectorId: 1,
            transactionId: start.transactionId,
            meterValue: [{ timestamp: at, sampledValue: [{ value: 'lots' }] }],
          }),
        )
      ).code,
    ).toBe('PropertyConstraintViolation');
    expect(platform.calls.meterBatches.length).toBe(batches);
  });

  it('DataTransfer from an unknown vendor is answered UnknownVendorId', async () => {
    expect(await client.call('DataTransfer', { vendorId: 'com.acme' })).toEqual({ status: 'UnknownVendorId' });
  });
});
