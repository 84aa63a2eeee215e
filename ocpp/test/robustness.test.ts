import type { RPCClient } from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/support/config.js';
import { MAX_FRAME_BYTES } from '../server.js';
import {
  callError,
  charger,
  closed,
  dropOcppDatabases,
  FakePlatform,
  nextFrame,
  startOcpp,
  type TestOcpp,
} from './support.js';

const platform = new FakePlatform();
const config = testConfig();
let ocpp: TestOcpp;
const open: RPCClient[] = [];

beforeAll(async () => {
  ocpp = await startOcpp(platform, config, {
    OCPP_RATE_LIMIT_MESSAGES: '20',
    OCPP_RATE_LIMIT_WINDOW_SECONDS: '60',
    OCPP_METER_BATCH_MS: '25',
  });
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await ocpp.server.close();
  await dropOcppDatabases(config);
});

async function connected(id: string, protocol: 'ocpp1.6' | 'ocpp2.0.1' = 'ocpp1.6'): Promise<RPCClient> {
  const { chargePointId, password } = platform.addChargePoint(id, 1);
  const client = charger(ocpp.wsUrl, chargePointId, password, protocol);
  await client.connect();
  open.push(client);
  return client;
}

describe('bad input from a charger', () => {
  it('malformed frames get the OCPP-J error, the connection and other chargers are still served', async () => {
    const bad = await connected('CP-BAD');
    const good = await connected('CP-GOOD', 'ocpp2.0.1');
    let frame = nextFrame(bad);
    bad.sendRaw('this is not json');
    expect(await frame).toEqual([4, '-1', 'RpcFrameworkError', 'Message must be a JSON structure', {}]);
    frame = nextFrame(bad);
    bad.sendRaw(JSON.stringify({ not: 'an array' }));
    expect((await frame)[2]).toBe('RpcFrameworkError');
    frame = nextFrame(bad);
    bad.sendRaw(JSON.stringify([7, 'id-1', 'Heartbeat', {}]));
    // ocpp-rpc reads the message id only after the type, so it answers with id "-1".
    expect((await frame).slice(0, 3)).toEqual([4, '-1', 'MessageTypeNotSupported']);
    expect(await bad.call('Heartbeat', {})).toHaveProperty('currentTime');
    expect(await good.call('Heartbeat', {})).toHaveProperty('currentTime');
  });

  it('unknown actions are NotImplemented; schema violations the error strict mode prescribes', async () => {
    const client = await connected('CP-SCHEMA');
    expect((await callError(client.call('MakeCoffee', { sugar: 2 }))).code).toBe('NotImplemented');
    // Wrong type, missing required field, unknown property, enum value outside the schema.
    expect(
      (await callError(client.call('BootNotification', { chargePointVendor: 1, chargePointModel: 'x' }))).code,
    ).toBe('TypeConstraintViolation');
    expect((await callError(client.call('BootNotification', { chargePointVendor: 'x' }))).code).toBe(
      'OccurrenceConstraintViolation',
    );
    expect((await callError(client.call('Heartbeat', { extra: true }))).code).toBe('PropertyConstraintViolation');
    expect(
      (await callError(client.call('StatusNotification', { connectorId: 1, errorCode: 'NoError', status: 'Sleeping' })))
        .code,
    ).toBe('FormationViolation');
    // Nothing reached the platform, and the charger is still served.
    expect(platform.calls.status).toEqual([]);
    expect(await client.call('Heartbeat', {})).toHaveProperty('currentTime');
    const metrics = await (await fetch(`${ocpp.url}/metrics`)).text();
    expect(metrics).toMatch(/chargegraph_ocpp_messages_total\{action="other",result="NotImplemented"\} 1/);
  });

  it('closes a socket that sends a frame over MAX_FRAME_BYTES (1009), unparsed; other chargers are served', async () => {
    const big = await connected('CP-BIG');
    const neighbour = await connected('CP-BESIDE-BIG');
    // Just under the limit is still an OCPP message (answered); one byte more is not read at all.
    const frame = (bytes: number) => {
      const envelope = JSON.stringify([2, 'big-1', 'DataTransfer', { vendorId: 'x', data: '' }]);
      return JSON.stringify([2, 'big-1', 'DataTransfer', { vendorId: 'x', data: 'x'.repeat(bytes - envelope.length) }]);
    };
    const answer = nextFrame(big);
    big.sendRaw(frame(MAX_FRAME_BYTES));
    expect(await answer).toEqual([3, 'big-1', { status: 'UnknownVendorId' }]);
    const whenClosed = closed(big);
    big.sendRaw(frame(MAX_FRAME_BYTES + 1));
    expect((await whenClosed).code).toBe(1009);
    expect(await neighbour.call('Heartbeat', {})).toHaveProperty('currentTime');
  });

  it('closes a socket after ten malformed frames in a row (1002)', async () => {
    const client = await connected('CP-GARBAGE');
    const whenClosed = closed(client);
    for (let i = 0; i < 11; i++) client.sendRaw(`garbage ${i}`);
    expect((await whenClosed).code).toBe(1002);
    const other = await connected('CP-AFTER-GARBAGE');
    expect(await other.call('Heartbeat', {})).toHaveProperty('currentTime');
  });

  it('flood: over the rate limit calls are refused, over twice the limit the socket is closed (1008)', async () => {
    const client = await connected('CP-FLOOD');
    const whenClosed = closed(client);
    const answers = await Promise.allSettled(Array.from({ length: 45 }, () => client.call('Heartbeat', {})));
    const ok = answers.filter((answer) => answer.status === 'fulfilled').length;
    expect(ok).toBe(20);
    const refused = answers.filter(
      (answer) =>
        answer.status === 'rejected' && (answer.reason as { rpcErrorCode?: string }).rpcErrorCode === 'GenericError',
    );
    expect(refused.length).toBeGreaterThan(0);
    expect(await whenClosed).toEqual({ code: 1008, reason: 'Message rate limit exceeded' });
    const neighbour = await connected('CP-NEIGHBOUR');
    expect(await neighbour.call('Heartbeat', {})).toHaveProperty('currentTime');
  });
});

describe('meter value batching', () => {
  it('values of many chargers within one tick go to the session service in ONE call; each answer waits for it', async () => {
    const chargers = await Promise.all(Array.from({ length: 8 }, (_, i) => connected(`CP-METER-${i}`)));
    const starts = await Promise.all(
      chargers.map(
        (client) =>
          client.call('StartTransaction', {
            connectorId: 1,
            idTag: 'GOODTAG',
            meterStart: 0,
            timestamp: '2026-12-02T10:00:00.000Z',
          }) as Promise<{ transactionId: number }>,
      ),
    );
    platform.calls.meterBatches.length = 0;
    platform.meterDelayMs = 150;
    const sentAt = performance.now();
    const answered = await Promise.all(
      chargers.map(async (client, i) => {
        await client.call('MeterValues', {
          connectorId: 1,
          transactionId: starts[i].transactionId,
          meterValue: [{ timestamp: '2026-12-02T10:01:00.000Z', sampledValue: [{ value: String(100 + i) }] }],
        });
        return performance.now() - sentAt;
      }),
    );
    platform.meterDelayMs = 0;
    expect(platform.calls.meterBatches).toHaveLength(1);
    expect(platform.calls.meterBatches[0].map((value) => value.energyRegisterWh).sort()).toEqual(
      [100, 101, 102, 103, 104, 105, 106, 107].sort(),
    );
    // No CALLRESULT before the batch was applied.
    for (const ms of answered) expect(ms).toBeGreaterThanOrEqual(150);
  });
});
