import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Bus, busDatabaseUrl } from '../../../platform/bus.js';
import type { Identity } from '../../../platform/identity.js';
import { createLogger } from '../../../platform/logger.js';
import { testConfig } from '../../../test/support/config.js';
import { createTestSubgraph, type TestSubgraph } from '../../../test/support/subgraph.js';
import { createSessionSubgraph, type SessionServices } from '../index.js';
import { MeterValue } from '../session/meter-value.entity.js';
import { ChargingSession } from '../session/session.entity.js';
import { RfidTag } from '../rfid/rfid.entity.js';
import { applyMeterBatch } from '../charger/meter-batch.js';
import type { ChargerMeterValueInput } from '../charger/charger.types.js';
import { newId } from '../../../platform/ids.js';
import { FakeCharger, FakeUpstreams, type FakeStation } from './fakes.js';
import { chargerService, dataOf, errorCode, newDriver, platformAdmin } from './harness.js';

/*
 * The session's life as a charger drives it, against stand-ins for the OCPP process (a local POST /commands that
 * checks our signature) and for the station, operator and payment subgraphs (facts and answers the test sets).
 */

let session: TestSubgraph;
let services: SessionServices;
const upstreams = new FakeUpstreams();
const charger = new FakeCharger();
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  const upstreamUrl = await upstreams.listen();
  const ocppUrl = await charger.listen();
  config = testConfig({
    STATION_URL: upstreamUrl,
    OPERATOR_URL: upstreamUrl,
    PAYMENT_URL: upstreamUrl,
    OCPP_URL: ocppUrl,
    SESSION_CHARGER_COMMAND_TIMEOUT_MS: '500',
    SESSION_JOB_POLLING_SECONDS: '0.5',
  });
  session = await createTestSubgraph(createSessionSubgraph({ onServices: (built) => (services = built) }), config);
});
afterAll(async () => {
  await session.destroy();
  await upstreams.close();
  await charger.close();
});
beforeEach(() => {
  charger.answers = {};
  charger.onCommand = undefined;
  charger.beforeAnswer = undefined;
  upstreams.hold = 'AUTHORIZED';
  upstreams.increment = 'yes';
  upstreams.charge = 'ok';
  upstreams.holdAmount = 5000;
});

const FIELDS =
  'id status stopReason stopRequestedAt chargePointId energyWh startedAt endedAt cost { total { amount } }';
interface View {
  id: string;
  status: string;
  stopReason: string | null;
  stopRequestedAt: string | null;
  chargePointId: string | null;
  energyWh: number;
  startedAt: string;
  endedAt: string | null;
  cost: { total: { amount: number } };
}

const start = (who: Identity, station: FakeStation, connector = 0, paymentMethodId?: string) =>
  session.run<{ startChargingSession: View }>(
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { ${FIELDS} } }`,
    { input: { stationId: station.id, connectorId: station.connectors[connector].id, paymentMethodId } },
    who,
  );
const stop = (who: Identity, id: string) =>
  session.run<{ stopChargingSession: View }>(
    `mutation ($id: ID!) { stopChargingSession(id: $id) { ${FIELDS} } }`,
    { id },
    who,
  );
const confirm = (who: Identity, id: string) =>
  session.run<{ confirmChargingSessionStart: View }>(
    `mutation ($id: ID!) { confirmChargingSessionStart(id: $id) { ${FIELDS} } }`,
    { id },
    who,
  );

interface StartInput {
  idTag: string;
  connector?: number;
  meterStartWh?: number;
  timestamp?: Date;
  transactionId?: string;
  remoteStartId?: number;
  stationId?: string;
}
const chargerStart = (station: FakeStation, input: StartInput, who: Identity = chargerService) =>
  session.run<{ chargerStartTransaction: { transactionId: string; idTagStatus: string; sessionId: string | null } }>(
    `mutation ($input: ChargerStartTransactionInput!) { chargerStartTransaction(input: $input) { transactionId idTagStatus sessionId } }`,
    {
      input: {
        chargePointId: station.chargePoint!.chargePointId,
        stationId: input.stationId ?? station.id,
        connectorId: station.connectors[input.connector ?? 0].id,
        idTag: input.idTag,
        meterStartWh: input.meterStartWh ?? 1_000,
        timestamp: (input.timestamp ?? new Date()).toISOString(),
        transactionId: input.transactionId,
        remoteStartId: input.remoteStartId,
      },
    },
    who,
  );
const meter = (
  station: FakeStation,
  values: Array<{ transactionId: string; energyRegisterWh: number; measuredAt: Date; stationId?: string }>,
) =>
  session.run<{ chargerMeterValues: Array<{ accepted: boolean; code: string | null; message: string | null }> }>(
    `mutation ($values: [ChargerMeterValueInput!]!) { chargerMeterValues(values: $values) { accepted code message } }`,
    {
      values: values.map((v) => ({
        chargePointId: station.chargePoint!.chargePointId,
        stationId: v.stationId ?? station.id,
        transactionId: v.transactionId,
        energyRegisterWh: v.energyRegisterWh,
        measuredAt: v.measuredAt.toISOString(),
      })),
    },
    chargerService,
  );
const chargerStop = (
  station: FakeStation,
  input: { transactionId: string; meterStopWh?: number; timestamp?: Date; stationId?: string },
) =>
  session.run<{ chargerStopTransaction: boolean }>(
    `mutation ($input: ChargerStopTransactionInput!) { chargerStopTransaction(input: $input) }`,
    {
      input: {
        chargePointId: station.chargePoint!.chargePointId,
        stationId: input.stationId ?? station.id,
        transactionId: input.transactionId,
        meterStopWh: input.meterStopWh,
        timestamp: (input.timestamp ?? new Date()).toISOString(),
        reason: 'EVDisconnected',
      },
    },
    chargerService,
  );
const authorize = (station: FakeStation, idTag: string, stationId = station.id) =>
  session.run<{ chargerAuthorize: string }>(
    `mutation ($input: ChargerAuthorizeInput!) { chargerAuthorize(input: $input) }`,
    { input: { chargePointId: station.chargePoint!.chargePointId, stationId, idTag } },
    chargerService,
  );

const row = (id: string) => session.orm.em.fork().findOneOrFail(ChargingSession, { id });
const commandsFor = (station: FakeStation) =>
  charger.commands.filter((c) => c.chargePointId === station.chargePoint?.chargePointId);
/** The marks a session sent its connector, repeats collapsed (ENDED is sent at the end and again by settling: idempotent). */
const connectorStates = (sessionId: string) =>
  upstreams
    .callsOf('markConnectorSession', sessionId)
    .map((c) => (c.variables.input as { state: string }).state)
    .filter((state, i, all) => state !== all[i - 1]);
const secondsAgo = (s: number) => new Date(Date.now() - s * 1000);
/** A time `s` seconds back, give or take the few seconds a test runs (for times the test set with secondsAgo). */
const secondsAgoAbout = (s: number) => ({
  asymmetricMatch: (at: unknown) => at instanceof Date && Math.abs(at.getTime() - (Date.now() - s * 1000)) < 10_000,
});

/** An app start the charger confirmed: the session is ACTIVE with a transaction, created `ago` seconds back. */
async function running(station: FakeStation, driver = newDriver(), ago = 600) {
  const started = dataOf(await start(driver, station)).startChargingSession;
  await session.orm.em
    .fork()
    .nativeUpdate(ChargingSession, { id: started.id }, { createdAt: secondsAgo(ago), startedAt: secondsAgo(ago) });
  const idTag = (await row(started.id)).ocppIdTag!;
  const confirmed = dataOf(await chargerStart(station, { idTag, timestamp: secondsAgo(ago) })).chargerStartTransaction;
  return { id: started.id, driver, transactionId: confirmed.transactionId, idTag };
}

describe('an app start at a charge point', () => {
  it('holds, commands the charger (signed), turns ACTIVE when the charger confirms, and ends when it reports the stop', async () => {
    const station = upstreams.addStation();
    const driver = newDriver();
    const started = dataOf(await start(driver, station)).startChargingSession;
    expect(started).toMatchObject({
      status: 'PENDING',
      chargePointId: station.chargePoint!.chargePointId,
      endedAt: null,
    });
    expect(upstreams.callsOf('placeSessionHold', started.id)).toHaveLength(1);
    const stored = await row(started.id);
    expect(stored.heldAmount).toBe(5000);
    expect(stored.ocppIdTag).toMatch(/^CG[0-9A-Z]{18}$/);
    expect(commandsFor(station)).toEqual([
      {
        chargePointId: station.chargePoint!.chargePointId,
        caller: { role: 'SERVICE', sub: 'session' },
        command: {
          action: 'StartCharging',
          ocppConnectorId: 1,
          idTag: stored.ocppIdTag,
          remoteStartId: stored.remoteStartId,
        },
      },
    ]);
    expect(connectorStates(started.id)).toEqual(['STARTING']);

    // The charger confirms (1.6: no transaction id; we assign one); a resend gets the same answer.
    const at = new Date();
    const first = dataOf(
      await chargerStart(station, { idTag: stored.ocppIdTag!, meterStartWh: 10_000, timestamp: at }),
    );
    expect(first.chargerStartTransaction).toEqual({
      transactionId: expect.stringMatching(/^\d+$/),
      idTagStatus: 'ACCEPTED',
      sessionId: started.id,
    });
    const resent = dataOf(
      await chargerStart(station, { idTag: stored.ocppIdTag!, meterStartWh: 10_000, timestamp: at }),
    );
    expect(resent.chargerStartTransaction).toEqual(first.chargerStartTransaction);
    const active = await row(started.id);
    expect(active).toMatchObject({
      status: 'ACTIVE',
      meterStartWh: 10_000,
      transactionId: first.chargerStartTransaction.transactionId,
    });
    expect(connectorStates(started.id)).toEqual(['STARTING', 'CHARGING']);

    // The driver stops in the app: the charger is told, the session waits for its report.
    const stopping = dataOf(await stop(driver, started.id)).stopChargingSession;
    expect(stopping).toMatchObject({ status: 'ACTIVE', stopReason: 'DRIVER', stopRequestedAt: expect.any(String) });
    expect(commandsFor(station).at(-1)?.command).toEqual({
      action: 'StopCharging',
      transactionId: first.chargerStartTransaction.transactionId,
    });
    // A second tap while stopping changes nothing and sends nothing.
    dataOf(await stop(driver, started.id));
    expect(commandsFor(station).filter((c) => c.command.action === 'StopCharging')).toHaveLength(1);

    const transactionId = first.chargerStartTransaction.transactionId;
    expect(dataOf(await chargerStop(station, { transactionId, meterStopWh: 10_050, timestamp: new Date() }))).toEqual({
      chargerStopTransaction: true,
    });
    const ended = await row(started.id);
    // 50 Wh × 0.5 EUR/kWh = 2.5 cents → 3 (half up)
    expect(ended).toMatchObject({ status: 'COMPLETED', stopReason: 'DRIVER', energyWh: 50, finalPrice: { total: 3 } });
    // A resent StopTransaction is acknowledged and changes nothing.
    expect(dataOf(await chargerStop(station, { transactionId, meterStopWh: 99_999 }))).toEqual({
      chargerStopTransaction: true,
    });
    expect((await row(started.id)).energyWh).toBe(50);

    // Settling (the job body): the connector is freed and the session charged, as a service, once.
    // The job queued by the stop may have settled it first: either way, once.
    expect(await services.lifecycle.settle(started.id)).toMatch(/^(settled|already)$/);
    expect(await services.lifecycle.settle(started.id)).toBe('already');
    expect(connectorStates(started.id)).toEqual(['STARTING', 'CHARGING', 'ENDED']);
    expect(upstreams.callsOf('chargeSession', started.id)).toHaveLength(1);
    expect(upstreams.payments.get(started.id)?.status).toBe('SUCCEEDED');
    expect((await row(started.id)).settledAt).toBeInstanceOf(Date);
    expect(charger.unsigned).toBe(0);
  });

  it.each([
    ['Rejected', 'CHARGER_REJECTED'],
    ['Unavailable', 'CHARGER_UNAVAILABLE'],
    ['Timeout', 'CHARGER_TIMEOUT'],
  ] as const)(
    'a charger answering %s leaves the session FAILED, its hold released and its connector free',
    async (answer, code) => {
      const station = upstreams.addStation();
      charger.answers.StartCharging = answer;
      const driver = newDriver();
      const result = await start(driver, station);
      expect(errorCode(result)).toBe(code);
      const [failed] = await session.orm.em.fork().find(ChargingSession, { stationId: station.id });
      expect(failed).toMatchObject({ status: 'FAILED', stopReason: 'START_REJECTED', settledAt: expect.any(Date) });
      expect(upstreams.payments.get(failed.id)?.status).toBe('CANCELED');
      expect(connectorStates(failed.id)).toEqual(['STARTING', 'ENDED']);
      // The driver and the connector are free again.
      charger.answers = {};
      expect(dataOf(await start(driver, station)).startChargingSession.status).toBe('PENDING');
    },
  );

  it('a declined hold fails the session and never commands the charger', async () => {
    const station = upstreams.addStation();
    upstreams.hold = 'DECLINED';
    const result = await start(newDriver(), station);
    expect(errorCode(result)).toBe('PAYMENT_DECLINED');
    expect(result.errors?.[0].extensions?.declineCode).toBe('generic_decline');
    const [failed] = await session.orm.em.fork().find(ChargingSession, { stationId: station.id });
    expect(failed).toMatchObject({ status: 'FAILED', stopReason: 'HOLD_FAILED' });
    expect(commandsFor(station)).toEqual([]);
    expect(connectorStates(failed.id)).toEqual(['STARTING', 'ENDED']);
  });

  it('refuses a charger that is not connected (or an OFFLINE connector) with CHARGER_UNAVAILABLE, writing nothing', async () => {
    const station = upstreams.addStation();
    station.chargePoint!.connected = false;
    expect(errorCode(await start(newDriver(), station))).toBe('CHARGER_UNAVAILABLE');
    station.chargePoint!.connected = true;
    station.connectors[0].status = 'OFFLINE';
    expect(errorCode(await start(newDriver(), station))).toBe('CHARGER_UNAVAILABLE');
    station.connectors[0].status = 'FAULTED';
    expect(errorCode(await start(newDriver(), station))).toBe('CONFLICT');
    expect(await session.orm.em.fork().count(ChargingSession, { stationId: station.id })).toBe(0);
  });

  it('a post-paid operator starts without a hold', async () => {
    const station = upstreams.addStation({ postPaid: true });
    const started = dataOf(await start(newDriver(), station)).startChargingSession;
    expect(upstreams.callsOf('placeSessionHold', started.id)).toEqual([]);
    expect((await row(started.id)).heldAmount).toBeNull();
    expect(commandsFor(station)).toHaveLength(1);
  });

  it('3-D Secure: the session waits PENDING; confirmChargingSessionStart starts the charger once the hold is authorised', async () => {
    const station = upstreams.addStation();
    upstreams.hold = 'REQUIRES_ACTION';
    const driver = newDriver();
    const started = dataOf(await start(driver, station)).startChargingSession;
    expect(started.status).toBe('PENDING');
    expect(commandsFor(station)).toEqual([]);
    expect(errorCode(await confirm(driver, started.id))).toBe('PAYMENT_ACTION_REQUIRED');
    expect(errorCode(await confirm(newDriver(), started.id))).toBe('NOT_FOUND');
    upstreams.payments.set(started.id, {
      id: 'p',
      status: 'AUTHORIZED',
      authorizedAmount: { amount: 5000, currency: 'EUR' },
    });
    const results = await Promise.all([confirm(driver, started.id), confirm(driver, started.id)]);
    for (const r of results) expect(dataOf(r).confirmChargingSessionStart.status).toBe('PENDING');
    expect(commandsFor(station).map((c) => c.command.action)).toEqual(['StartCharging']);
    expect((await row(started.id)).heldAmount).toBe(5000);
  });

  it('a driver cancels a PENDING session: CANCELLED, hold released', async () => {
    const station = upstreams.addStation();
    const driver = newDriver();
    const started = dataOf(await start(driver, station)).startChargingSession;
    const cancelled = dataOf(await stop(driver, started.id)).stopChargingSession;
    expect(cancelled).toMatchObject({ status: 'CANCELLED', stopReason: 'DRIVER', cost: { total: { amount: 0 } } });
    expect(upstreams.payments.get(started.id)?.status).toBe('CANCELED');
    // The charger, starting late, is refused.
    const late = dataOf(await chargerStart(station, { idTag: (await row(started.id)).ocppIdTag! }));
    expect(late.chargerStartTransaction).toMatchObject({ idTagStatus: 'INVALID', sessionId: null });
  });

  it('a stop the charger cannot receive ends the session now, from its last meter value', async () => {
    const station = upstreams.addStation();
    const { id, driver, transactionId } = await running(station);
    dataOf(await meter(station, [{ transactionId, energyRegisterWh: 3_000, measuredAt: secondsAgo(60) }]));
    charger.answers.StopCharging = 'Unavailable';
    const ended = dataOf(await stop(driver, id)).stopChargingSession;
    expect(ended).toMatchObject({ status: 'COMPLETED', stopReason: 'DRIVER', energyWh: 2_000 });
    charger.answers.StopCharging = 'Rejected';
    const otherStation = upstreams.addStation();
    const other = await running(otherStation);
    expect(errorCode(await stop(other.driver, other.id))).toBe('CHARGER_REJECTED');
    expect((await row(other.id)).status).toBe('ACTIVE');
    // The refused stop was withdrawn: the next one is sent to the charger again, not taken as under way.
    charger.answers = {};
    expect(dataOf(await stop(other.driver, other.id)).stopChargingSession).toMatchObject({
      status: 'ACTIVE',
      stopReason: 'DRIVER',
      stopRequestedAt: expect.any(String),
    });
    const stops = commandsFor(otherStation).filter((c) => c.command.action === 'StopCharging');
    expect(stops).toHaveLength(2);
  });

  it("the charger's stop report arriving before its answer to our stop: the session ends with the driver's reason", async () => {
    const station = upstreams.addStation();
    const { id, driver, transactionId } = await running(station);
    // As across OCPP replicas: the charger's StopTransaction is in before its answer to StopCharging is back.
    charger.beforeAnswer = async ({ command }) => {
      if (command.action === 'StopCharging') dataOf(await chargerStop(station, { transactionId }));
    };
    expect(dataOf(await stop(driver, id)).stopChargingSession).toMatchObject({
      status: 'COMPLETED',
      stopReason: 'DRIVER',
    });
    expect(await row(id)).toMatchObject({ status: 'COMPLETED', stopReason: 'DRIVER' });
  });
});

describe('charger reports', () => {
  it('meter values: applied in order, resends accepted once, implausible ones refused with nothing written', async () => {
    const station = upstreams.addStation();
    const { id, transactionId } = await running(station, newDriver(), 600);
    const results = dataOf(
      await meter(station, [
        { transactionId, energyRegisterWh: 2_000, measuredAt: secondsAgo(300) },
        { transactionId, energyRegisterWh: 2_000, measuredAt: secondsAgo(300) }, // resend
        { transactionId, energyRegisterWh: 1_500, measuredAt: secondsAgo(200) }, // backwards
        { transactionId, energyRegisterWh: 2_500, measuredAt: secondsAgo(400) }, // time backwards
        // 22 kW × 100 s × 1.1 + 100 Wh = 772 Wh at most
        { transactionId, energyRegisterWh: 2_800, measuredAt: secondsAgo(200) },
        { transactionId, energyRegisterWh: 2_700, measuredAt: secondsAgo(200) },
        { transactionId: '999999999', energyRegisterWh: 2_700, measuredAt: secondsAgo(100) },
        { transactionId, energyRegisterWh: 2_800, measuredAt: secondsAgo(100), stationId: upstreams.addStation().id },
      ]),
    ).chargerMeterValues;
    expect(results.map((r) => [r.accepted, r.code])).toEqual([
      [true, null],
      [true, null],
      [false, 'METER_VALUE_IMPLAUSIBLE'],
      [false, 'METER_VALUE_IMPLAUSIBLE'],
      [false, 'METER_VALUE_IMPLAUSIBLE'],
      [true, null],
      [false, 'NOT_FOUND'],
      [false, 'FORBIDDEN'],
    ]);
    expect(results[4].message).toMatch(/more than the 22 kW connector can deliver/);
    const stored = await row(id);
    expect(stored.energyWh).toBe(1_700); // register 2,700 − start 1,000
    expect(await session.orm.em.fork().count(MeterValue, { session: id })).toBe(2);
  });

  it('a charger acts only on its own station: another stationId is refused', async () => {
    const station = upstreams.addStation();
    const other = upstreams.addStation();
    const { id, transactionId, idTag } = await running(station);
    expect(dataOf(await authorize(station, idTag, other.id)).chargerAuthorize).toBe('INVALID');
    expect(errorCode(await chargerStop(station, { transactionId, stationId: other.id }))).toBe('FORBIDDEN');
    expect((await row(id)).status).toBe('ACTIVE');
    // A pending session of this charger cannot be confirmed by a call naming another station.
    const pending = dataOf(await start(newDriver(), station, 1)).startChargingSession;
    const tag = (await row(pending.id)).ocppIdTag!;
    const refused = dataOf(await chargerStart(station, { idTag: tag, connector: 1, stationId: other.id }));
    expect(refused.chargerStartTransaction.idTagStatus).toBe('INVALID');
    expect((await row(pending.id)).status).toBe('PENDING');
  });

  it.each<[string, Identity]>([
    ['a platform admin', platformAdmin],
    ['a driver', newDriver()],
  ])('charger operations refuse %s (FORBIDDEN)', async (_who, who) => {
    const station = upstreams.addStation();
    expect(errorCode(await chargerStart(station, { idTag: 'X' }, who))).toBe('FORBIDDEN');
  });

  it('a 2.0.1 charger brings its own transaction id and matches the session by remoteStartId', async () => {
    const station = upstreams.addStation();
    const started = dataOf(await start(newDriver(), station)).startChargingSession;
    const { remoteStartId } = await row(started.id);
    const answer = dataOf(
      await chargerStart(station, {
        idTag: 'ignored-by-remote-start',
        remoteStartId: remoteStartId!,
        transactionId: 'tx-201-a',
      }),
    ).chargerStartTransaction;
    expect(answer).toEqual({ transactionId: 'tx-201-a', idTagStatus: 'ACCEPTED', sessionId: started.id });
    expect(
      dataOf(await chargerStart(station, { idTag: 'whatever', transactionId: 'tx-201-a' })).chargerStartTransaction,
    ).toEqual(answer);
  });
});

describe('a batch of meter values (one transaction for the whole batch)', () => {
  const logger = createLogger('test', 'silent');
  const valueOf = (
    station: FakeStation,
    transactionId: string,
    energyRegisterWh: number,
    measuredAt: Date,
    stationId = station.id,
  ): ChargerMeterValueInput => ({
    chargePointId: station.chargePoint!.chargePointId,
    stationId,
    transactionId,
    energyRegisterWh,
    measuredAt,
  });
  // Straight at the set-based path: it throws when its transaction fails, where the resolver would fall back.
  const apply = (values: ChargerMeterValueInput[]) =>
    applyMeterBatch(session.orm.em.fork(), services.runtime, logger, values, new Date());
  const meterRows = (sessionId: string) => session.orm.em.fork().count(MeterValue, { session: sessionId });

  it('several sessions, several values of one in order, and every refusal: one result each, only accepted rows written', async () => {
    const [a, b, c, d] = [
      upstreams.addStation(),
      upstreams.addStation(),
      upstreams.addStation(),
      upstreams.addStation(),
    ];
    const [ta, tb, tc, td] = [await running(a), await running(b), await running(c), await running(d)];
    dataOf(await chargerStop(d, { transactionId: td.transactionId, meterStopWh: 1_000 }));

    const results = await apply([
      valueOf(a, ta.transactionId, 2_000, secondsAgo(300)), // a: 1,000 Wh
      valueOf(b, tb.transactionId, 1_500, secondsAgo(300)), // b: 500 Wh
      valueOf(a, ta.transactionId, 2_600, secondsAgo(200)), // a: 1,600 Wh (≤ 772 Wh gained in 100 s)
      valueOf(c, tc.transactionId, 9_000, secondsAgo(299)), // 8,000 Wh in 301 s at 22 kW: implausible
      valueOf(a, ta.transactionId, 2_600, secondsAgo(200)), // resend: accepted, nothing written
      valueOf(b, tb.transactionId, 1_600, secondsAgo(200), a.id), // names another station
      valueOf(a, '999999998', 2_000, secondsAgo(100)), // unknown transaction
      valueOf(b, tb.transactionId, 1_400, secondsAgo(100)), // backwards after the batch's own earlier value
      valueOf(a, ta.transactionId, 2_900, secondsAgo(100)), // a: 1,900 Wh
      valueOf(c, tc.transactionId, 500, secondsAgo(100)), // register below its start (1,000 Wh)
      valueOf(d, td.transactionId, 1_200, secondsAgo(100)), // an ended session
    ]);

    expect(results.map((r) => [r.accepted, r.code ?? null, r.message ?? null])).toEqual([
      [true, null, null],
      [true, null, null],
      [true, null, null],
      [
        false,
        'METER_VALUE_IMPLAUSIBLE',
        'energyWh rose by 8000 Wh in 301 s: more than the 22 kW connector can deliver.',
      ],
      [true, null, null],
      [false, 'FORBIDDEN', 'This transaction belongs to another station.'],
      [false, 'NOT_FOUND', 'No transaction 999999998 at this charge point.'],
      [false, 'METER_VALUE_IMPLAUSIBLE', 'energyWh went backwards: 400 Wh is less than the last value of 500 Wh.'],
      [true, null, null],
      [false, 'METER_VALUE_IMPLAUSIBLE', 'The energy register (500 Wh) is below its start value (1000 Wh).'],
      [
        false,
        'CONFLICT',
        `Cannot record meter values for charging session ${td.id}: it has already ended (COMPLETED).`,
      ],
    ]);
    expect(await row(ta.id)).toMatchObject({ energyWh: 1_900, lastMeterAt: secondsAgoAbout(100) });
    expect(await meterRows(ta.id)).toBe(3);
    expect(await row(tb.id)).toMatchObject({ energyWh: 500 });
    expect(await meterRows(tb.id)).toBe(1);
    expect(await row(tc.id)).toMatchObject({ energyWh: 0, lastMeterAt: null });
    expect(await meterRows(tc.id)).toBe(0);
    expect(await row(td.id)).toMatchObject({ status: 'COMPLETED', energyWh: 0 });
    expect(await meterRows(td.id)).toBe(1); // its stop's final value, nothing of the batch
  });

  it('through chargerMeterValues the results are the same as the set-based path gives', async () => {
    const a = upstreams.addStation();
    const ta = await running(a);
    const results = dataOf(
      await meter(a, [
        { transactionId: ta.transactionId, energyRegisterWh: 2_000, measuredAt: secondsAgo(300) },
        { transactionId: ta.transactionId, energyRegisterWh: 1_900, measuredAt: secondsAgo(200) },
        { transactionId: ta.transactionId, energyRegisterWh: 2_100, measuredAt: secondsAgo(100) },
      ]),
    ).chargerMeterValues;
    expect(results.map((r) => [r.accepted, r.code])).toEqual([
      [true, null],
      [false, 'METER_VALUE_IMPLAUSIBLE'],
      [true, null],
    ]);
    expect((await row(ta.id)).energyWh).toBe(1_100);
    expect(await meterRows(ta.id)).toBe(2);
  });

  it('publishes session_changed once per accepted session of the batch, none for a session whose values were all refused', async () => {
    const bus = await Bus.connect(busDatabaseUrl(config), createLogger('test', 'silent'));
    try {
      const seen: string[] = [];
      const [a, c] = [upstreams.addStation(), upstreams.addStation()];
      const [ta, tc] = [await running(a), await running(c)];
      const marker = newId();
      let markerArrived!: () => void;
      const markerSeen = new Promise<void>((resolve) => (markerArrived = resolve));
      // Listening before anything is published (subscribe resolves once LISTEN ran).
      await bus.subscribe('session_changed', (payload) => {
        const { id } = payload as { id: string };
        seen.push(id);
        if (id === marker) markerArrived();
      });
      await apply([
        valueOf(a, ta.transactionId, 2_000, secondsAgo(300)),
        valueOf(a, ta.transactionId, 2_500, secondsAgo(200)),
        valueOf(c, tc.transactionId, 90_000, secondsAgo(200)),
      ]);
      // Published after the batch's, so once it arrives every message of the batch has arrived before it.
      await services.runtime.changed(marker);
      await markerSeen;
      expect(seen.filter((id) => id === ta.id)).toHaveLength(1);
      expect(seen).not.toContain(tc.id);
    } finally {
      await bus.close();
    }
  });
});

describe('RFID tags', () => {
  const LINK = `mutation ($t: String!) { linkRfidTag(idTag: $t) { idTag linkedAt } }`;
  const UNLINK = `mutation ($t: String!) { unlinkRfidTag(idTag: $t) }`;
  const MINE = `{ myRfidTags { idTag } }`;

  it("links a driver's own tags; someone else's tag is a CONFLICT that does not say whose", async () => {
    const alice = newDriver();
    const bob = newDriver();
    dataOf(await session.run(LINK, { t: 'RFID-ALICE-1' }, alice));
    dataOf(await session.run(LINK, { t: 'RFID-ALICE-1' }, alice)); // again: still hers
    const taken = await session.run(LINK, { t: 'RFID-ALICE-1' }, bob);
    expect(errorCode(taken)).toBe('CONFLICT');
    expect(JSON.stringify(taken.errors)).not.toContain(alice.sub);
    expect(dataOf(await session.run(UNLINK, { t: 'RFID-ALICE-1' }, bob))).toEqual({ unlinkRfidTag: false });
    expect(dataOf(await session.run<{ myRfidTags: unknown[] }>(MINE, {}, alice)).myRfidTags).toEqual([
      { idTag: 'RFID-ALICE-1' },
    ]);
    expect(dataOf(await session.run<{ myRfidTags: unknown[] }>(MINE, {}, bob)).myRfidTags).toEqual([]);
    expect(errorCode(await session.run(LINK, { t: 'CG0123456789ABCDEFGH' }, bob))).toBe('BAD_USER_INPUT');
    expect(errorCode(await session.run(LINK, { t: 'has space' }, bob))).toBe('BAD_USER_INPUT');
    expect(errorCode(await session.run(LINK, { t: 'X' }, platformAdmin))).toBe('FORBIDDEN');
    expect(dataOf(await session.run(UNLINK, { t: 'RFID-ALICE-1' }, alice))).toEqual({ unlinkRfidTag: true });
    expect(await session.orm.em.fork().count(RfidTag, { idTag: 'RFID-ALICE-1' })).toBe(0);
  });

  it('a linked tag at the charger starts a session for its driver with a hold; unknown tags are INVALID, nothing written', async () => {
    const station = upstreams.addStation();
    const driver = newDriver();
    dataOf(await session.run(LINK, { t: `TAG-${driver.sub}`.slice(0, 36) }, driver));
    const tag = `TAG-${driver.sub}`.slice(0, 36);
    expect(dataOf(await authorize(station, tag)).chargerAuthorize).toBe('ACCEPTED');
    expect(dataOf(await authorize(station, 'UNKNOWN-TAG')).chargerAuthorize).toBe('INVALID');

    const before = await session.orm.em.fork().count(ChargingSession, {});
    const unknown = dataOf(await chargerStart(station, { idTag: 'UNKNOWN-TAG' })).chargerStartTransaction;
    expect(unknown).toMatchObject({ idTagStatus: 'INVALID', sessionId: null });
    expect(await session.orm.em.fork().count(ChargingSession, {})).toBe(before);

    const started = dataOf(await chargerStart(station, { idTag: tag, meterStartWh: 500 })).chargerStartTransaction;
    expect(started.idTagStatus).toBe('ACCEPTED');
    const stored = await row(started.sessionId!);
    expect(stored).toMatchObject({ status: 'ACTIVE', driverId: driver.sub, heldAmount: 5000, meterStartWh: 500 });
    expect(upstreams.callsOf('placeSessionHold', stored.id)).toHaveLength(1);
    // The same driver at a second charger: one session at a time.
    const elsewhere = upstreams.addStation();
    expect(dataOf(await authorize(elsewhere, tag)).chargerAuthorize).toBe('CONCURRENT_TX');
    expect(dataOf(await chargerStart(elsewhere, { idTag: tag })).chargerStartTransaction.idTagStatus).toBe(
      'CONCURRENT_TX',
    );
  });

  it('a tag whose hold fails is BLOCKED and leaves nothing open', async () => {
    const station = upstreams.addStation();
    const driver = newDriver();
    const tag = `B-${driver.sub}`.slice(0, 36);
    dataOf(await session.run(LINK, { t: tag }, driver));
    upstreams.hold = 'DECLINED';
    const answer = dataOf(await chargerStart(station, { idTag: tag })).chargerStartTransaction;
    expect(answer).toMatchObject({ idTagStatus: 'BLOCKED', sessionId: null });
    const rows = await session.orm.em.fork().find(ChargingSession, { driverId: driver.sub });
    expect(rows.map((r) => [r.status, r.stopReason])).toEqual([['FAILED', 'HOLD_FAILED']]);
  });
});

describe('jobs', () => {
  const MINUTE = 60_000;

  it('session-start-timeout: a PENDING session the charger never confirmed is FAILED and its hold released', async () => {
    const station = upstreams.addStation();
    const started = dataOf(await start(newDriver(), station)).startChargingSession;
    expect(await services.lifecycle.startTimeout(started.id, new Date(Date.now() + 30_000))).toBe(false);
    expect(await services.lifecycle.startTimeout(started.id, new Date(Date.now() + 91_000))).toBe(true);
    expect(await row(started.id)).toMatchObject({ status: 'FAILED', stopReason: 'START_TIMEOUT' });
    expect(upstreams.payments.get(started.id)?.status).toBe('CANCELED');
    const late = dataOf(await chargerStart(station, { idTag: (await row(started.id)).ocppIdTag! }));
    expect(late.chargerStartTransaction.idTagStatus).toBe('INVALID');
  });

  it('session-idle-sweep: an abandoned session is ended from its last meter value and billed; the connector takes the next one', async () => {
    const station = upstreams.addStation();
    const { id, transactionId } = await running(station, newDriver(), 3600);
    const lastAt = secondsAgo(1800);
    dataOf(await meter(station, [{ transactionId, energyRegisterWh: 6_000, measuredAt: lastAt }]));
    const idleLater = new Date(Date.now() + 16 * MINUTE);

    // The charger still answers heartbeats: the session is left alone.
    await services.lifecycle.idleSweep(idleLater);
    expect((await row(id)).status).toBe('ACTIVE');

    station.chargePoint = { ...station.chargePoint!, connected: false, lastSeenAt: secondsAgo(1800).toISOString() };
    const swept = await services.lifecycle.idleSweep(idleLater);
    expect(swept.ended).toBeGreaterThanOrEqual(1);
    const ended = await row(id);
    // 5 kWh × 0.5 EUR = 250 cents, billed up to the last value
    expect(ended).toMatchObject({
      status: 'COMPLETED',
      stopReason: 'IDLE_TIMEOUT',
      energyWh: 5_000,
      endedAt: lastAt,
      finalPrice: { total: 250 },
    });
    await services.lifecycle.settle(id);
    expect(upstreams.callsOf('chargeSession', id)).toHaveLength(1);

    // Nothing delivered: FAILED, hold released.
    const empty = upstreams.addStation({ charger: false });
    const manual = dataOf(await start(newDriver(), empty)).startChargingSession;
    expect(manual.status).toBe('ACTIVE');
    await services.lifecycle.idleSweep(idleLater);
    expect(await row(manual.id)).toMatchObject({ status: 'FAILED', stopReason: 'IDLE_TIMEOUT' });
    await services.lifecycle.settle(manual.id);
    expect(upstreams.payments.get(manual.id)?.status).toBe('CANCELED');
    // The connector is not blocked by the swept session.
    expect(dataOf(await start(newDriver(), empty)).startChargingSession.status).toBe('ACTIVE');
  });

  it('session-idle-sweep: sessions older than the maximum duration are ended even with a live charger', async () => {
    const station = upstreams.addStation();
    const { id, transactionId } = await running(station, newDriver(), 600);
    dataOf(await meter(station, [{ transactionId, energyRegisterWh: 2_000, measuredAt: secondsAgo(300) }]));
    await services.lifecycle.idleSweep(new Date(Date.now() + 25 * 3600_000));
    expect(await row(id)).toMatchObject({ status: 'COMPLETED', stopReason: 'MAX_DURATION' });
    expect(commandsFor(station).at(-1)?.command).toEqual({ action: 'StopCharging', transactionId });
  });

  it('session-hold-check: near the hold it is incremented, or else the charger is stopped (HOLD_LIMIT)', async () => {
    upstreams.holdAmount = 100; // 1 EUR = 2 kWh at 0.5 EUR/kWh; 80 % = 1.6 kWh
    const station = upstreams.addStation();
    const a = await running(station, newDriver(), 3600);
    dataOf(
      await meter(station, [
        { transactionId: a.transactionId, energyRegisterWh: 1_000 + 1_700, measuredAt: secondsAgo(60) },
      ]),
    );
    expect(await services.lifecycle.holdCheck(a.id)).toBe('incremented');
    const incremented = await row(a.id);
    expect(incremented.heldAmount).toBe(100 + 5000); // + one pre-authorisation amount
    expect(upstreams.callsOf('incrementSessionHold', a.id)[0].variables.amount).toBe(5100);

    upstreams.increment = 'no';
    const b = await running(upstreams.addStation(), newDriver(), 3600);
    const bStation = [...upstreams.stations.values()].at(-1)!;
    dataOf(
      await meter(bStation, [
        { transactionId: b.transactionId, energyRegisterWh: 1_000 + 1_700, measuredAt: secondsAgo(60) },
      ]),
    );
    expect(await services.lifecycle.holdCheck(b.id)).toBe('stopping');
    expect(await row(b.id)).toMatchObject({
      status: 'ACTIVE',
      stopReason: 'HOLD_LIMIT',
      stopRequestedAt: expect.any(Date),
    });
    expect(commandsFor(bStation).at(-1)?.command).toEqual({ action: 'StopCharging', transactionId: b.transactionId });
    dataOf(await chargerStop(bStation, { transactionId: b.transactionId, meterStopWh: 2_750 }));
    expect(await row(b.id)).toMatchObject({ status: 'COMPLETED', stopReason: 'HOLD_LIMIT', energyWh: 1_750 });

    // Below the threshold nothing happens.
    const c = await running(upstreams.addStation(), newDriver(), 600);
    expect(await services.lifecycle.holdCheck(c.id)).toBe('ok');
  });

  it('session-settle: a final payment error is settled (the payment subgraph flags it); an outage is retried', async () => {
    const station = upstreams.addStation({ charger: false });
    const driver = newDriver();
    const s1 = dataOf(await start(driver, station)).startChargingSession;
    dataOf(await stop(driver, s1.id));
    upstreams.charge = 'DOWN';
    await expect(services.lifecycle.settle(s1.id)).rejects.toMatchObject({
      extensions: { code: 'PAYMENT_PROVIDER_UNAVAILABLE' },
    });
    expect((await row(s1.id)).settledAt).toBeNull();
    upstreams.charge = 'DECLINED';
    expect(await services.lifecycle.settle(s1.id)).toBe('settled');
    expect((await row(s1.id)).settledAt).toBeInstanceOf(Date);
  });

  it('session-settle is single-flight: concurrent settlers share one outcome; a lease held elsewhere is waited out', async () => {
    const station = upstreams.addStation({ charger: false });
    const driver = newDriver();
    const s = dataOf(await start(driver, station)).startChargingSession;
    dataOf(await stop(driver, s.id));
    // In one process (the job and a stop settling at once): one charge, the same answer for both.
    const outcomes = await Promise.all([services.lifecycle.settle(s.id), services.lifecycle.settle(s.id)]);
    expect(outcomes[0]).toMatch(/^(settled|already)$/);
    expect(outcomes[1]).toBe(outcomes[0]);
    expect(upstreams.callsOf('chargeSession', s.id)).toHaveLength(1);

    // Another replica holds the lease (taken before the stop, so the queued job cannot settle it either).
    const held = dataOf(await start(driver, upstreams.addStation({ charger: false }))).startChargingSession;
    const leaseEnds = new Date(Date.now() + 10 * 60_000);
    await session.orm.em.fork().nativeUpdate(ChargingSession, { id: held.id }, { settleClaimedUntil: leaseEnds });
    dataOf(await stop(driver, held.id));
    expect(await services.lifecycle.settle(held.id)).toBe('busy');
    expect(upstreams.callsOf('chargeSession', held.id)).toHaveLength(0);
    // That replica died: once its lease has run out, settling goes ahead.
    expect(await services.lifecycle.settle(held.id, new Date(leaseEnds.getTime() + 1))).toBe('settled');
    expect(upstreams.callsOf('chargeSession', held.id)).toHaveLength(1);
    expect(await row(held.id)).toMatchObject({ settledAt: expect.any(Date), settleClaimedUntil: null });
  });

  it('the queue really runs them: a stop is settled by the session-settle job without any other call', async () => {
    const station = upstreams.addStation({ charger: false });
    const driver = newDriver();
    const s = dataOf(await start(driver, station)).startChargingSession;
    dataOf(await stop(driver, s.id));
    // Settle jobs queued by the tests before run first, one per poll: allow for that backlog.
    const deadline = Date.now() + 50_000;
    while (!(await row(s.id)).settledAt && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect((await row(s.id)).settledAt).toBeInstanceOf(Date);
    expect(upstreams.callsOf('chargeSession', s.id)).toHaveLength(1);
  }, 60_000);
});

describe('the bus', () => {
  it('publishes session_changed {id} after committed changes', async () => {
    const bus = await Bus.connect(busDatabaseUrl(config), createLogger('test', 'silent'));
    try {
      const seen: unknown[] = [];
      await bus.subscribe('session_changed', (payload) => seen.push(payload));
      const station = upstreams.addStation({ charger: false });
      const driver = newDriver();
      const s = dataOf(await start(driver, station)).startChargingSession;
      dataOf(await stop(driver, s.id));
      const deadline = Date.now() + 5_000;
      while (seen.filter((p) => JSON.stringify(p) === JSON.stringify({ id: s.id })).length < 3 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      // insert (PENDING), ACTIVE, COMPLETED at least
      expect(seen.filter((p) => JSON.stringify(p) === JSON.stringify({ id: s.id })).length).toBeGreaterThanOrEqual(3);
    } finally {
      await bus.close();
    }
  });
});
