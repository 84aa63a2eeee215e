import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../../platform/identity.js';
import { ChargingSession } from '../session/session.entity.js';
import {
  adminOf,
  chargerService,
  connectChargePoint,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  errorCode,
  newDriver,
  reportPresence,
  startHarness,
  type CreatedStation,
  type Harness,
} from './harness.js';

/*
 * The money follows the charger, for real: operator, station and payment subgraphs and a Stripe emulator; only the
 * charger is a stand-in (the OCPP process's POST /commands, answering as the test says). Holds are placed on the
 * operator's own account, released on a failed start, incremented or stopped near their limit, and captured when
 * the session settles — with no chargeSession call from any client.
 */

let h: Harness;
let operatorId: string;
let tariffId: string;
let cpCount = 0;

beforeAll(async () => {
  h = await startHarness({ money: true });
  operatorId = await createOperator(h, 'Voltia', { postPaid: false });
  await onboard(operatorId);
  // 0.40 EUR/kWh, no time price, no fee, no tax; hold 10 EUR (25 kWh; 80 % = 20 kWh)
  tariffId = await createTariff(h, operatorId, {
    energyPricePerKwh: '0.4',
    timePricePerHour: '0',
    sessionFee: 0,
    taxRateBasisPoints: 0,
    preAuthorizationAmount: 1000,
  });
}, 60_000);
afterAll(() => h.destroy());
beforeEach(() => {
  h.charger.answers = {};
});

async function onboard(id: string): Promise<void> {
  dataOf(
    await h.payment!.run(
      `mutation ($id: ID!) { startOperatorOnboarding(operatorId: $id) { url } }`,
      { id },
      adminOf(id),
    ),
  );
  const [account] = await h
    .payment!.orm.em.fork()
    .getConnection()
    .execute<Array<{ provider_account_id: string }>>(
      'select provider_account_id from operator_payment_account where operator_id = ?',
      [id],
    );
  const onboarded = await fetch(`${h.emulator!.url}/_emulator/accounts/${account.provider_account_id}/onboard`, {
    method: 'POST',
  });
  expect(onboarded.status).toBe(200);
  await h.emulator!.flushWebhooks();
}

async function driverWithCard(card = 'pm_card_visa'): Promise<Identity> {
  const driver = newDriver();
  dataOf(
    await h.payment!.run(
      `mutation ($pm: String!) { savePaymentMethod(paymentMethodId: $pm) { id } }`,
      { pm: card },
      driver,
    ),
  );
  return driver;
}

async function chargerStation(): Promise<{ station: CreatedStation; chargePointId: string }> {
  const station = await createStation(h, operatorId, tariffId, 2);
  const chargePointId = await connectChargePoint(h, station, `CP-MONEY-${++cpCount}-${process.pid}`);
  return { station, chargePointId };
}

const START = `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status } }`;
const STOP = `mutation ($id: ID!) { stopChargingSession(id: $id) { id status stopRequestedAt } }`;

const start = (driver: Identity, station: CreatedStation, connector = 0) =>
  h.session.run<{ startChargingSession: { id: string; status: string } }>(
    START,
    { input: { stationId: station.id, connectorId: station.connectors[connector].id } },
    driver,
  );

const charger = (query: string, input: Record<string, unknown>) => h.session.run(query, { input }, chargerService);

async function confirmStart(chargePointId: string, station: CreatedStation, sessionId: string, connector = 0) {
  const row = await sessionRow(sessionId);
  const result = await h.session.run<{ chargerStartTransaction: { transactionId: string; idTagStatus: string } }>(
    `mutation ($input: ChargerStartTransactionInput!) { chargerStartTransaction(input: $input) { transactionId idTagStatus } }`,
    {
      input: {
        chargePointId,
        stationId: station.id,
        connectorId: station.connectors[connector].id,
        idTag: row.ocppIdTag,
        meterStartWh: 100_000,
        timestamp: new Date().toISOString(),
      },
    },
    chargerService,
  );
  const answer = dataOf(result).chargerStartTransaction;
  expect(answer.idTagStatus).toBe('ACCEPTED');
  return answer.transactionId;
}

async function meter(
  chargePointId: string,
  station: CreatedStation,
  transactionId: string,
  registerWh: number,
  at: Date,
) {
  const result = await h.session.run<{ chargerMeterValues: Array<{ accepted: boolean; code: string | null }> }>(
    `mutation ($values: [ChargerMeterValueInput!]!) { chargerMeterValues(values: $values) { accepted code } }`,
    {
      values: [
        {
          chargePointId,
          stationId: station.id,
          transactionId,
          energyRegisterWh: registerWh,
          measuredAt: at.toISOString(),
        },
      ],
    },
    chargerService,
  );
  expect(dataOf(result).chargerMeterValues).toEqual([{ accepted: true, code: null }]);
}

const chargerStop = (chargePointId: string, station: CreatedStation, transactionId: string, meterStopWh: number) =>
  charger(`mutation ($input: ChargerStopTransactionInput!) { chargerStopTransaction(input: $input) }`, {
    chargePointId,
    stationId: station.id,
    transactionId,
    meterStopWh,
    timestamp: new Date().toISOString(),
  });

const sessionRow = (id: string) => h.session.orm.em.fork().findOneOrFail(ChargingSession, { id });
/** Back-dates a running session so meter values of many kWh are plausible. */
const backdate = (id: string, seconds: number) =>
  h.session.orm.em
    .fork()
    .getConnection()
    .execute(
      `update charging_session set started_at = started_at - make_interval(secs => ?), created_at = created_at - make_interval(secs => ?) where id = ?`,
      [seconds, seconds, id],
    );

async function paymentOf(sessionId: string) {
  const rows = await h
    .payment!.orm.em.fork()
    .getConnection()
    .execute<
      Array<{ status: string; amount: number | null; authorized_amount: number | null; provider_account_id: string }>
    >(
      'select status, amount, authorized_amount, provider_account_id from payment where session_id = ? order by attempt desc',
      [sessionId],
    );
  return rows[0];
}

async function connectorStatus(station: CreatedStation, connector = 0): Promise<string> {
  const result = await h.station.run<{ station: { connectors: Array<{ id: string; status: string }> } }>(
    `query ($id: ID!) { station(id: $id) { connectors { id status } } }`,
    { id: station.id },
    adminOf(operatorId),
  );
  return dataOf(result).station.connectors[connector].status;
}

describe('money follows the charger', () => {
  it('start → hold on the operator account → charger confirms → meter values → stop → settle → payment SUCCEEDED', async () => {
    const { station, chargePointId } = await chargerStation();
    const driver = await driverWithCard();
    const started = dataOf(await start(driver, station)).startChargingSession;
    expect(started.status).toBe('PENDING');
    expect(await paymentOf(started.id)).toMatchObject({ status: 'AUTHORIZED', authorized_amount: 1000 });
    expect(await connectorStatus(station)).toBe('PREPARING');
    expect(h.charger.commands.at(-1)).toMatchObject({
      chargePointId,
      command: { action: 'StartCharging', ocppConnectorId: 1 },
    });

    const transactionId = await confirmStart(chargePointId, station, started.id);
    expect((await sessionRow(started.id)).status).toBe('ACTIVE');
    expect(await connectorStatus(station)).toBe('CHARGING');
    await backdate(started.id, 3600);
    await meter(chargePointId, station, transactionId, 110_000, new Date(Date.now() - 600_000)); // 10 kWh

    const stopping = dataOf(
      await h.session.run<{ stopChargingSession: { status: string } }>(STOP, { id: started.id }, driver),
    );
    expect(stopping.stopChargingSession.status).toBe('ACTIVE');
    expect(h.charger.commands.at(-1)?.command).toEqual({ action: 'StopCharging', transactionId });
    dataOf(await chargerStop(chargePointId, station, transactionId, 112_500)); // 12.5 kWh in all
    const ended = await sessionRow(started.id);
    expect(ended).toMatchObject({
      status: 'COMPLETED',
      stopReason: 'DRIVER',
      energyWh: 12_500,
      finalPrice: { total: 500 },
    });

    expect(await h.services.lifecycle.settle(started.id)).toMatch(/settled|already/);
    expect(await paymentOf(started.id)).toMatchObject({ status: 'SUCCEEDED', amount: 500 });
    expect(await connectorStatus(station)).toBe('AVAILABLE');
  });

  it('a charger refusing the start leaves the session FAILED and the hold canceled', async () => {
    const { station } = await chargerStation();
    const driver = await driverWithCard();
    h.charger.answers.StartCharging = 'Rejected';
    const result = await start(driver, station);
    expect(errorCode(result)).toBe('CHARGER_REJECTED');
    const [failed] = await h.session.orm.em.fork().find(ChargingSession, { stationId: station.id });
    expect(failed).toMatchObject({ status: 'FAILED', stopReason: 'START_REJECTED' });
    expect(await paymentOf(failed.id)).toMatchObject({ status: 'CANCELED' });
    expect(await connectorStatus(station)).toBe('AVAILABLE');
  });

  it('an offline charger cannot be started', async () => {
    const { station, chargePointId } = await chargerStation();
    await reportPresence(h, chargePointId, false);
    expect(errorCode(await start(await driverWithCard(), station))).toBe('CHARGER_UNAVAILABLE');
    expect(await h.session.orm.em.fork().count(ChargingSession, { stationId: station.id })).toBe(0);
  });

  it('a hold near its limit is incremented (card supports it); else the charger is stopped and the capture stays within the hold', async () => {
    const { station, chargePointId } = await chargerStation();
    const visa = await driverWithCard();
    const a = dataOf(await start(visa, station)).startChargingSession;
    const txA = await confirmStart(chargePointId, station, a.id);
    await backdate(a.id, 3600);
    await meter(chargePointId, station, txA, 100_000 + 21_000, new Date(Date.now() - 1000)); // 8.40 EUR ≥ 80 % of 10
    expect(await h.services.lifecycle.holdCheck(a.id)).toBe('incremented');
    expect((await sessionRow(a.id)).heldAmount).toBe(2000);
    expect(await paymentOf(a.id)).toMatchObject({ authorized_amount: 2000 });

    const jcb = await driverWithCard('pm_card_jcb'); // increments unavailable for this brand
    const b = dataOf(await start(jcb, station, 1)).startChargingSession;
    const txB = await confirmStart(chargePointId, station, b.id, 1);
    await backdate(b.id, 3600);
    await meter(chargePointId, station, txB, 100_000 + 21_000, new Date(Date.now() - 600_000));
    expect(await h.services.lifecycle.holdCheck(b.id)).toBe('stopping');
    expect(h.charger.commands.at(-1)?.command).toEqual({ action: 'StopCharging', transactionId: txB });
    // The charger stops a little later than asked: 26 kWh = 10.40 EUR, above the 10 EUR hold.
    dataOf(await chargerStop(chargePointId, station, txB, 126_000));
    expect(await sessionRow(b.id)).toMatchObject({
      status: 'COMPLETED',
      stopReason: 'HOLD_LIMIT',
      finalPrice: { total: 1040 },
    });
    await h.services.lifecycle.settle(b.id);
    const paid = await paymentOf(b.id);
    expect(paid.status).toBe('SUCCEEDED');
    expect(paid.amount).toBeLessThanOrEqual(1000); // never more than was authorised
  });

  it('an abandoned session is ended by the idle sweep and billed from its last meter value; its connector takes the next driver', async () => {
    const { station, chargePointId } = await chargerStation();
    const driver = await driverWithCard();
    const s = dataOf(await start(driver, station)).startChargingSession;
    const tx = await confirmStart(chargePointId, station, s.id);
    await backdate(s.id, 7200);
    const lastAt = new Date(Date.now() - 3600_000);
    await meter(chargePointId, station, tx, 105_000, lastAt); // 5 kWh = 2.00 EUR
    await reportPresence(h, chargePointId, false);
    // 20 minutes later the charger has been gone longer than the idle timeout (15 min).
    const swept = await h.services.lifecycle.idleSweep(new Date(Date.now() + 20 * 60_000));
    expect(swept.ended).toBeGreaterThanOrEqual(1);
    expect(await sessionRow(s.id)).toMatchObject({
      status: 'COMPLETED',
      stopReason: 'IDLE_TIMEOUT',
      endedAt: lastAt,
      finalPrice: { total: 200 },
    });
    await h.services.lifecycle.settle(s.id);
    expect(await paymentOf(s.id)).toMatchObject({ status: 'SUCCEEDED', amount: 200 });
    // Nothing is blocked afterwards: the charger is back, the connector and the driver take a new session.
    await reportPresence(h, chargePointId, true);
    expect(dataOf(await start(driver, station)).startChargingSession.status).toBe('PENDING');
  });
});
