import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SimulatedCharger, type ChargerOptions, type OcppProtocol } from '../../dev/charger/charger.js';
import { ensureChargePoint } from '../../dev/charger/register.js';
import type { GraphQLCall } from '../../dev/seed.js';
import type { TokenClaims } from '../../dev/tokens.js';
import { createOcppServer, type OcppServer } from '../../ocpp/server.js';
import { createLogger } from '../../platform/logger.js';
import {
  adminOf,
  createOperator,
  newDriver,
  ok,
  PAYMENT,
  platformAdmin,
  reasonOf,
  saveCard,
  sessionsOf,
  startPaymentStack,
  stripeFee,
  tryStartSession,
  type Operator,
  type PaymentStack,
  type PaymentView,
} from '../payment/support.js';
import { LIVE_SESSION, liveSessionOf, liveSessionUntil, openLiveAs, type LiveSocket } from '../support/live-socket.js';

/*
 * Issue 12's "done when", through the gateway: simulated chargers (ocpp-rpc's client) on the OCPP process of the
 * whole platform, real PostgreSQL, the payment subgraph on the Stripe emulator. Every test has an operator, a
 * station with one connector and a charger of its own, so its account's balance is its own to assert.
 */

/** 20 EUR/kWh is 2 cents per Wh: a few seconds at 50 kW cost more than the provider's fixed fee, far below the hold. */
const TARIFF = { country: 'DE', currency: 'EUR', energyPricePerKwh: '20.00', preAuthorizationAmount: 5000 };
const HOLD = TARIFF.preAuthorizationAmount;
const priceOf = (energyWh: number) => energyWh * 2;
const POWER_KW = 50;
/** Bounded waits for what happens asynchronously (jobs, bus, the charger's next message), generous for a loaded box. */
const POLL = { timeout: 20_000, interval: 100 };

let p: PaymentStack;
let admin: GraphQLCall;
const chargers: SimulatedCharger[] = [];
const replicas: OcppServer[] = [];

beforeAll(async () => {
  // Settle jobs are picked up within half a second instead of two.
  p = await startPaymentStack({ SESSION_JOB_POLLING_SECONDS: '0.5' });
  admin = async <T>(query: string, variables: Record<string, unknown>) =>
    ok(await p.stack.query<T>(query, variables, platformAdmin));
});

// close() lets each charger's own calls under way be answered first: none is cut off ("Client going away").
afterEach(async () => {
  await Promise.all(chargers.splice(0).map((charger) => charger.close()));
});

afterAll(async () => {
  for (const replica of replicas.splice(0)) await replica.close();
  await p?.destroy();
});

const ocppWsUrl = (ocppUrl: string) => `${ocppUrl.replace(/^http/, 'ws')}/ocpp`;

interface Site {
  operator: Operator;
  charger: SimulatedCharger;
  /** Energy (Wh) of every meter value the charger had acknowledged, in order. */
  meters: number[];
}

/** An operator with a one-connector station, its charge point registered and a simulated charger connected to it. */
async function chargerSite(
  protocol: OcppProtocol,
  options: Partial<ChargerOptions> = {},
  ocppUrl = p.stack.ocppUrl,
): Promise<Site> {
  const operator = await createOperator(p, `Volt ${randomBytes(3).toString('hex')}`, {
    ...TARIFF,
    connectors: [{ standard: 'CCS2', powerKw: POWER_KW }],
  });
  const chargePoint = await ensureChargePoint(admin, operator.stationId);
  const charger = new SimulatedCharger({
    url: ocppWsUrl(ocppUrl),
    chargePointId: chargePoint.chargePointId,
    password: chargePoint.password,
    protocol,
    connectors: 1,
    powerKw: POWER_KW,
    meterIntervalMs: 250,
    stepDelayMs: 20,
    ...options,
  });
  chargers.push(charger);
  const meters: number[] = [];
  charger.on('meterValues', ({ energyWh }) => meters.push(energyWh));
  await charger.start();
  await expect.poll(() => connectorStatus(operator), POLL).toBe('AVAILABLE');
  return { operator, charger, meters };
}

async function driverWithCard(): Promise<TokenClaims> {
  const driver = newDriver();
  await saveCard(p, driver);
  return driver;
}

async function connectorStatus(operator: Operator): Promise<string> {
  const { station } = ok(
    await p.stack.query<{ station: { connectors: Array<{ status: string }> } }>(
      `query ($id: ID!) { station(id: $id) { connectors { status } } }`,
      { id: operator.stationId },
    ),
  );
  return station.connectors[0].status;
}

interface SessionView {
  id: string;
  status: string;
  stopReason: string | null;
  chargePointId: string | null;
  energyWh: number;
  cost: { total: { amount: number; currency: string } };
  payment: PaymentView | null;
}

async function sessionView(who: TokenClaims, id: string): Promise<SessionView> {
  const { chargingSession } = ok(
    await p.stack.query<{ chargingSession: SessionView }>(
      `query ($id: ID!) { chargingSession(id: $id) {
        id status stopReason chargePointId energyWh cost { total { amount currency } } payment { ${PAYMENT} }
      } }`,
      { id },
      who,
    ),
  );
  return chargingSession;
}

async function stopInApp(driver: TokenClaims, id: string): Promise<void> {
  ok(await p.stack.query(`mutation ($id: ID!) { stopChargingSession(id: $id) { id } }`, { id }, driver));
}

/** The payment intents on the operator's own connected account, as the provider has them. */
async function intentsOn(operator: Operator): Promise<Array<{ status: string; amount: number; received: number }>> {
  const intents = await p.stripe.paymentIntents.list({ limit: 10 }, { stripeAccount: operator.account });
  return intents.data.map((intent) => ({
    status: intent.status,
    amount: intent.amount,
    received: intent.amount_received,
  }));
}

const paymentRequestsOn = (operator: Operator) =>
  p.emulator.requests().filter((r) => r.account === operator.account && r.path.startsWith('/v1/payment_intents'));

/**
 * The session ended with the charger's energy, priced from the tariff, and was captured on its operator's account
 * without any client call (this file never calls chargeSession): the hold's capture is exactly the price.
 */
async function expectPaid(
  operator: Operator,
  driver: TokenClaims,
  sessionId: string,
  energyWh: number,
  stopReason: string,
): Promise<void> {
  const amount = priceOf(energyWh);
  expect(energyWh).toBeGreaterThan(0);
  await expect.poll(async () => (await sessionView(driver, sessionId)).payment?.status, POLL).toBe('SUCCEEDED');
  expect(await sessionView(driver, sessionId)).toMatchObject({
    status: 'COMPLETED',
    stopReason,
    energyWh,
    cost: { total: { amount, currency: 'EUR' } },
    payment: {
      status: 'SUCCEEDED',
      amount: { amount, currency: 'EUR' },
      authorizedAmount: { amount: HOLD },
    },
  });
  expect(await intentsOn(operator)).toEqual([{ status: 'succeeded', amount: HOLD, received: amount }]);
  expect(p.emulator.balanceOf(operator.account, 'eur')).toEqual({
    available: amount - stripeFee(amount, 'EUR'),
    pending: 0,
  });
}

/** The live stream sends the ended session and completes once it is paid. */
async function expectLiveEnd(live: LiveSocket, id: string, energyWh: number): Promise<void> {
  const ended = await liveSessionUntil(live, id, (s) => s.status !== 'ACTIVE');
  expect(ended).toMatchObject({ status: 'COMPLETED', energyWh, cost: { total: { amount: priceOf(energyWh) } } });
  let message = await live.take(id, POLL.timeout);
  while (message.type === 'next') {
    expect(liveSessionOf(message).status).toBe('COMPLETED');
    message = await live.take(id, POLL.timeout);
  }
  expect(message.type).toBe('complete');
}

async function liveFor(driver: TokenClaims, sessionId: string): Promise<LiveSocket> {
  const live = await openLiveAs(p.stack.gatewayUrl, `Bearer ${await p.stack.token(driver)}`);
  live.subscribe('s', LIVE_SESSION, { id: sessionId });
  return live;
}

/** Starts in the app through the gateway; resolves once the charger has confirmed and the session is ACTIVE. */
async function startInApp(site: Site, driver: TokenClaims): Promise<{ sessionId: string; transactionId: string }> {
  const accepted = site.charger.waitFor('remoteStartAccepted');
  const started = site.charger.waitFor('transactionStarted');
  const { startChargingSession } = ok(await tryStartSession(p, driver, site.operator));
  // The charger may have confirmed before the mutation answered.
  expect(['PENDING', 'ACTIVE']).toContain(startChargingSession.status);
  expect(await accepted).toMatchObject({ connector: 1 });
  const { transactionId } = await started;
  await expect.poll(async () => (await sessionView(driver, startChargingSession.id)).status, POLL).toBe('ACTIVE');
  return { sessionId: startChargingSession.id, transactionId };
}

/** Waits until the charger's meter values have reached the session: some energy, exactly one of the charger's. */
async function meteredEnergy(site: Site, driver: TokenClaims, sessionId: string): Promise<number> {
  const reported = await site.charger.waitFor('meterValues', (m) => m.energyWh > 0);
  const { energyWh, cost } = await sessionView(driver, sessionId);
  expect(energyWh).toBeGreaterThanOrEqual(reported.energyWh);
  expect(cost.total).toEqual({ amount: priceOf(energyWh), currency: 'EUR' });
  // Applied before it is acknowledged: the charger's own record of it may come a moment later.
  await vi.waitFor(() => expect(site.meters).toContain(energyWh), POLL);
  return energyWh;
}

// Each wait is bounded (POLL); the test's own limit leaves room for several of them on a loaded machine.
describe.each(['ocpp1.6', 'ocpp2.0.1'] as const)(
  'a simulated %s charger through the gateway',
  { timeout: 60_000 },
  (protocol) => {
    it('app start → remote start confirmed → meter values in the session and live → app stop → the charger stops → paid', async () => {
      const site = await chargerSite(protocol);
      const driver = await driverWithCard();
      const { sessionId, transactionId } = await startInApp(site, driver);
      const live = await liveFor(driver, sessionId);
      try {
        await liveSessionUntil(live, 's', (s) => s.status === 'ACTIVE');
        const energyWh = await meteredEnergy(site, driver, sessionId);
        const seen = await liveSessionUntil(live, 's', (s) => s.energyWh >= energyWh);
        await vi.waitFor(() => expect(site.meters).toContain(seen.energyWh), POLL);
        expect(seen).toMatchObject({ status: 'ACTIVE', cost: { total: { amount: priceOf(seen.energyWh) } } });

        const stopped = site.charger.waitFor('transactionStopped');
        await stopInApp(driver, sessionId);
        const end = await stopped;
        expect(end).toMatchObject({ reason: 'Remote', transactionId });
        await expectPaid(site.operator, driver, sessionId, end.energyWh, 'DRIVER');
        await expectLiveEnd(live, 's', end.energyWh);
      } finally {
        live.close();
      }
    });

    it('a stop at the charger (cable unplugged) ends the session the same way', async () => {
      const site = await chargerSite(protocol);
      const driver = await driverWithCard();
      const { sessionId } = await startInApp(site, driver);
      await meteredEnergy(site, driver, sessionId);
      const end = await site.charger.unplug(1);
      expect(end?.reason).toBe('EVDisconnected');
      await expectPaid(site.operator, driver, sessionId, end!.energyWh, 'CHARGER');
    });

    it("RFID: a linked tag at the charger starts a session for its driver, held on the operator's account", async () => {
      const site = await chargerSite(protocol);
      const driver = await driverWithCard();
      const idTag = `RF${randomBytes(6).toString('hex').toUpperCase()}`;
      ok(
        await p.stack.query(`mutation ($tag: String!) { linkRfidTag(idTag: $tag) { idTag } }`, { tag: idTag }, driver),
      );

      const result = await site.charger.plugInAndPresentTag(1, idTag);
      expect(result).toMatchObject({ accepted: true, transaction: { connector: 1, idTag } });
      const [session] = await sessionsOf(p, driver);
      expect(session.status).toBe('ACTIVE');
      expect(await sessionView(driver, session.id)).toMatchObject({
        chargePointId: site.charger.chargePointId,
        payment: { status: 'AUTHORIZED', authorizedAmount: { amount: HOLD, currency: 'EUR' } },
      });
      expect(await intentsOn(site.operator)).toEqual([{ status: 'requires_capture', amount: HOLD, received: 0 }]);

      await meteredEnergy(site, driver, session.id);
      const end = await site.charger.stopLocally(1);
      expect(end?.reason).toBe('Local');
      await expectPaid(site.operator, driver, session.id, end!.energyWh, 'CHARGER');
    });

    it('an unknown tag is refused at Authorize: no session, no hold', async () => {
      const site = await chargerSite(protocol);
      const result = await site.charger.plugInAndPresentTag(1, `UNKNOWN${randomBytes(4).toString('hex')}`);
      expect(result).toEqual({ accepted: false, status: 'Invalid', stage: 'Authorize' });
      const { chargingSessions } = ok(
        await p.stack.query<{ chargingSessions: { edges: unknown[] } }>(
          `query ($stationId: ID!) { chargingSessions(filter: { stationId: $stationId }) { edges { node { id } } } }`,
          { stationId: site.operator.stationId },
          adminOf(site.operator.id),
        ),
      );
      expect(chargingSessions.edges).toEqual([]);
      expect(paymentRequestsOn(site.operator)).toEqual([]);
      expect(site.charger.status(1)).toBe('Available');
    });

    it('the catalogue shows a connector with an ACTIVE session as not AVAILABLE; availableOnly leaves it out', async () => {
      const site = await chargerSite(protocol);
      const stationIds = async (availableOnly: boolean) => {
        const { stations } = ok(
          await p.stack.query<{ stations: { edges: Array<{ node: { id: string } }> } }>(
            `query ($filter: StationFilter) { stations(filter: $filter) { edges { node { id } } } }`,
            { filter: { operatorId: site.operator.id, availableOnly } },
          ),
        );
        return stations.edges.map((edge) => edge.node.id);
      };
      expect(await stationIds(true)).toEqual([site.operator.stationId]);

      const driver = await driverWithCard();
      const { sessionId } = await startInApp(site, driver);
      const busy = await connectorStatus(site.operator);
      expect(busy).not.toBe('AVAILABLE');
      expect(busy).toBe('CHARGING');
      expect(await stationIds(true)).toEqual([]);
      expect(await stationIds(false)).toEqual([site.operator.stationId]);

      await meteredEnergy(site, driver, sessionId);
      const stopped = site.charger.waitFor('transactionStopped');
      await stopInApp(driver, sessionId);
      await expectPaid(site.operator, driver, sessionId, (await stopped).energyWh, 'DRIVER');
      await expect.poll(() => connectorStatus(site.operator), POLL).toBe('AVAILABLE');
      expect(await stationIds(true)).toEqual([site.operator.stationId]);
    });

    it('an offline charger cannot be started: CHARGER_UNAVAILABLE, no session, no hold', async () => {
      const site = await chargerSite(protocol);
      await site.charger.close();
      await expect.poll(() => connectorStatus(site.operator), POLL).toBe('OFFLINE');
      const driver = await driverWithCard();
      const refused = await tryStartSession(p, driver, site.operator);
      expect(reasonOf(refused)).toBe('CHARGER_UNAVAILABLE');
      expect(await sessionsOf(p, driver)).toEqual([]);
      expect(paymentRequestsOn(site.operator)).toEqual([]);
    });

    it('a charger refusing the remote start leaves a FAILED session and its hold released', async () => {
      const site = await chargerSite(protocol, { refuseRemoteStart: true });
      const driver = await driverWithCard();
      const refusedAtCharger = site.charger.waitFor('remoteStartRefused');
      const refused = await tryStartSession(p, driver, site.operator);
      expect(reasonOf(refused)).toBe('CHARGER_REJECTED');
      await refusedAtCharger;
      const [session] = await sessionsOf(p, driver);
      await expect.poll(async () => (await sessionView(driver, session.id)).payment?.status, POLL).toBe('CANCELED');
      expect(await sessionView(driver, session.id)).toMatchObject({
        status: 'FAILED',
        stopReason: 'START_REJECTED',
        energyWh: 0,
        payment: { status: 'CANCELED', authorizedAmount: { amount: HOLD } },
      });
      expect(await intentsOn(site.operator)).toEqual([{ status: 'canceled', amount: HOLD, received: 0 }]);
      expect(p.emulator.balanceOf(site.operator.account, 'eur')).toEqual({ available: 0, pending: 0 });
      await expect.poll(() => connectorStatus(site.operator), POLL).toBe('AVAILABLE');
    });

    it('two OCPP replicas: a start and a stop through the gateway reach the charger connected to the other one', async () => {
      const config = p.stack.config;
      const replica = await createOcppServer({ config, logger: createLogger('ocpp-replica-2', config.LOG_LEVEL) });
      replicas.push(replica);
      const site = await chargerSite(protocol, {}, await replica.listen(0));
      const id = site.charger.chargePointId;
      // The subgraphs send commands to the first replica (OCPP_URL); only the second holds this charger's socket.
      expect(replica.connections.get(id)).toBeDefined();
      expect(p.stack.ocpp.connections.get(id)).toBeUndefined();

      const driver = await driverWithCard();
      const { sessionId, transactionId } = await startInApp(site, driver);
      await meteredEnergy(site, driver, sessionId);
      const stopped = site.charger.waitFor('transactionStopped');
      await stopInApp(driver, sessionId);
      const end = await stopped;
      expect(end).toMatchObject({ reason: 'Remote', transactionId });
      await expectPaid(site.operator, driver, sessionId, end.energyWh, 'DRIVER');
    });
  },
);
