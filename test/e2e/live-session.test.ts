import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import WebSocket from 'ws';
import { signDevToken, type TokenClaims } from '../../dev/tokens.js';
import { Bus, busDatabaseUrl } from '../../platform/bus.js';
import { dropDatabase } from '../../platform/database-admin.js';
import { Role, signIdentity } from '../../platform/identity.js';
import { createLogger } from '../../platform/logger.js';
import {
  adminOf,
  createOperator,
  newDriver,
  ok,
  saveCard,
  startPaymentStack,
  startSession,
  type Operator,
  type PaymentStack,
} from '../payment/support.js';
import {
  LIVE_SESSION as LIVE,
  liveSessionOf as sessionOf,
  liveSessionUntil as until,
  LiveSocket,
  openLiveAs,
} from '../support/live-socket.js';

/*
 * Live sessions through the gateway over a real WebSocket (graphql-ws), the whole platform on real PostgreSQL.
 * Changes are driven with the public mutations; the test also publishes `session_changed` on the bus after each one,
 * as the session and payment subgraphs do after every committed change (a duplicate hint costs one more read).
 */

const LIMITS = { LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '4', LIVE_MAX_CONNECTIONS_PER_IDENTITY: '3' };

let p: PaymentStack;
let bus: Bus;
let operator: Operator;
let other: Operator;

beforeAll(async () => {
  p = await startPaymentStack(LIMITS);
  bus = await Bus.connect(busDatabaseUrl(p.stack.config), createLogger('test', 'silent'));
  const tariff = { country: 'DE', currency: 'EUR', energyPricePerKwh: '0.40', preAuthorizationAmount: 5000 };
  operator = await createOperator(p, 'Live Volt', tariff);
  other = await createOperator(p, 'Other Volt', tariff);
});

afterAll(async () => {
  await bus?.close();
  await p?.destroy();
  if (p) await dropDatabase(busDatabaseUrl(p.stack.config));
});

const wsUrl = () => p.stack.gatewayUrl.replace(/^http/, 'ws');
const bearer = async (who: TokenClaims) => ({ authorization: `Bearer ${await p.stack.token(who)}` });

const connect = async (who: TokenClaims): Promise<LiveSocket> =>
  openLiveAs(p.stack.gatewayUrl, (await bearer(who)).authorization);

/** A driver with a card and an ACTIVE session on `connector` of `at`. */
async function activeSession(at: Operator, connector: number): Promise<{ driver: TokenClaims; sessionId: string }> {
  const driver = newDriver();
  await saveCard(p, driver);
  return { driver, sessionId: await startSession(p, driver, at, connector) };
}

const changed = (id: string) => bus.publish('session_changed', { id });

/**
 * Moves the session's start `minutes` back (test-only SQL on the session database), so that a meter value of several
 * kWh measured now is plausible for the connector (energy gained ≤ power × elapsed × 1.1 + 100 Wh). Stays well under
 * SESSION_IDLE_TIMEOUT_MS, so the idle sweep leaves the session alone.
 */
async function backdate(sessionId: string, minutes: number): Promise<void> {
  await p.stack.subgraphs
    .session!.orm.em.fork()
    .execute(`update charging_session set started_at = started_at - make_interval(mins => ?) where id = ?`, [
      minutes,
      sessionId,
    ]);
}

async function meter(at: Operator, sessionId: string, energyWh: number): Promise<void> {
  ok(
    await p.stack.query(
      `mutation ($input: RecordMeterValueInput!) { recordMeterValue(input: $input) { id } }`,
      { input: { sessionId, energyWh, measuredAt: new Date().toISOString() } },
      adminOf(at.id),
    ),
  );
  await changed(sessionId);
}

async function stop(driver: TokenClaims, sessionId: string): Promise<void> {
  ok(await p.stack.query(`mutation ($id: ID!) { stopChargingSession(id: $id) { id } }`, { id: sessionId }, driver));
  await changed(sessionId);
}

describe('live session (graphql-ws at /graphql)', () => {
  it("sends the driver's session at once, then its energy, cost and status as they change", async () => {
    const { driver, sessionId } = await activeSession(operator, 0);
    await backdate(sessionId, 10); // 150 kW for 10 minutes: up to 27.5 kWh
    const socket = await connect(driver);
    socket.subscribe('1', LIVE, { id: sessionId }, 'Live');

    const initial = sessionOf(await socket.take('1'));
    expect(initial).toMatchObject({ id: sessionId, status: 'ACTIVE', energyWh: 0 });

    await meter(operator, sessionId, 12_000);
    const metered = await until(socket, '1', (s) => s.energyWh === 12_000);
    // 12 kWh at 0.40 EUR/kWh, no time price, no fee, no tax.
    expect(metered.cost.total).toEqual({ amount: 480, currency: 'EUR' });
    expect(metered.status).toBe('ACTIVE');

    await stop(driver, sessionId);
    const stopped = await until(socket, '1', (s) => s.status !== 'ACTIVE');
    expect(stopped).toMatchObject({ status: 'COMPLETED', energyWh: 12_000, cost: { total: { amount: 480 } } });
    socket.close();
  });

  it('completes the stream once the ended session is paid', async () => {
    const { driver, sessionId } = await activeSession(operator, 1);
    await backdate(sessionId, 10);
    const socket = await connect(driver);
    socket.subscribe('s', LIVE, { id: sessionId });
    expect(sessionOf(await socket.take('s')).status).toBe('ACTIVE');
    await meter(operator, sessionId, 5_000);
    await stop(driver, sessionId);
    await until(socket, 's', (s) => s.status === 'COMPLETED');

    // No client call: the session subgraph's settle job captures the ended session and publishes the change; the
    // stream sends the last state (COMPLETED) and then `complete` once the payment is there.
    let message = await socket.take('s');
    while (message.type === 'next') {
      expect(sessionOf(message).status).toBe('COMPLETED');
      message = await socket.take('s');
    }
    expect(message.type).toBe('complete');
    // It was paid by then, and `chargeSession` stays an idempotent "charge now": the same payment, no second one.
    const { chargeSession } = ok(
      await p.stack.query<{ chargeSession: { status: string; amount: { amount: number } } }>(
        `mutation ($id: ID!) { chargeSession(sessionId: $id) { status amount { amount } } }`,
        { id: sessionId },
        driver,
      ),
    );
    // 5 kWh at 0.40 EUR/kWh.
    expect(chargeSession).toEqual({ status: 'SUCCEEDED', amount: { amount: 200 } });
    socket.close();
  });

  it("serves the session's operator admin; another driver and another operator's admin get NOT_FOUND", async () => {
    const { sessionId } = await activeSession(operator, 2);
    const own = await connect(adminOf(operator.id));
    own.subscribe('a', LIVE, { id: sessionId });
    expect(sessionOf(await own.take('a'))).toMatchObject({ id: sessionId, status: 'ACTIVE' });
    own.close();

    for (const stranger of [newDriver(), adminOf(other.id)]) {
      const socket = await connect(stranger);
      socket.subscribe('x', LIVE, { id: sessionId });
      const refused = await socket.take('x');
      expect(refused.type).toBe('next');
      expect(refused.payload?.data).toBeNull();
      expect(refused.payload?.errors).toEqual([
        expect.objectContaining({ path: ['chargingSessionUpdated'], extensions: { code: 'NOT_FOUND' } }),
      ]);
      expect(JSON.stringify(refused)).not.toContain(operator.id);
      expect((await socket.take('x')).type).toBe('complete');
      socket.close();
    }
  });

  it('refuses connections without a token, with a bad one, or over the per-identity limit', async () => {
    const anonymous = await LiveSocket.open(p.stack.gatewayUrl);
    expect(anonymous).toEqual({
      closed: { code: 4401, reason: expect.stringContaining('connectionParams.authorization') },
    });

    for (const authorization of ['Bearer not-a-jwt', 'Token abc']) {
      const refused = await LiveSocket.open(p.stack.gatewayUrl, { authorization });
      expect(refused).toEqual({ closed: { code: 4401, reason: expect.any(String) } });
    }
    const forged = await signDevToken(newDriver(), 'another-secret-that-is-long-enough-000000');
    expect(await LiveSocket.open(p.stack.gatewayUrl, { authorization: `Bearer ${forged}` })).toEqual({
      closed: { code: 4401, reason: 'The token is invalid or has expired.' },
    });

    const driver = newDriver();
    const open = await Promise.all([connect(driver), connect(driver), connect(driver)]);
    const fourth = await LiveSocket.open(p.stack.gatewayUrl, await bearer(driver));
    expect(fourth).toEqual({ closed: { code: 1008, reason: 'Too many live connections (limit 3).' } });
    open[0].close();
    await open[0].closed;
    // A closed connection frees its place.
    await expect
      .poll(async () => 'socket' in (await LiveSocket.open(p.stack.gatewayUrl, await bearer(driver))))
      .toBe(true);
    for (const socket of open) socket.close();
  });

  it('closes the connection when its token expires (4403: clients reconnect with a fresh one)', async () => {
    const token = await signDevToken(newDriver(), p.stack.config.JWT_SECRET, '2s');
    const opened = await LiveSocket.open(p.stack.gatewayUrl, { authorization: `Bearer ${token}` });
    if (!('socket' in opened)) throw new Error('refused');
    expect(await opened.socket.closed).toEqual({
      code: 4403,
      reason: 'The token has expired; reconnect with a fresh one.',
    });
  });

  it('answers malformed, unknown or non-subscription operations with GraphQL errors', async () => {
    const socket = await connect(newDriver());
    const cases: Array<[string, string, RegExp]> = [
      [
        'subscription { chargingSessionUpdated(id: "x") { nope } }',
        'GRAPHQL_VALIDATION_FAILED',
        /Cannot query field "nope"/,
      ],
      ['subscription { chargingSessionUpdated { id } }', 'GRAPHQL_VALIDATION_FAILED', /argument "id"/],
      ['subscription { chargingSessionUpdated(id: "x") { id ', 'GRAPHQL_PARSE_FAILED', /Syntax Error/],
      ['{ operators { edges { cursor } } }', 'BAD_REQUEST', /Only subscriptions/],
      [
        'subscription { chargingSessionUpdated(id: "x") { _liveSessionStatus: status } }',
        'GRAPHQL_VALIDATION_FAILED',
        /reserved/,
      ],
      [
        `subscription { chargingSessionUpdated(id: "x") { ${'station { operator { stations { edges { node { '.repeat(3)} id ${'} } } } }'.repeat(3)} } }`,
        'GRAPHQL_VALIDATION_FAILED',
        /depth/,
      ],
    ];
    for (const [index, [query, code, message]] of cases.entries()) {
      socket.subscribe(`m${index}`, query);
      const answer = await socket.take(`m${index}`);
      expect(answer.type, query).toBe('error');
      expect(answer.payload?.[0]).toMatchObject({ extensions: { code }, message: expect.stringMatching(message) });
    }
    socket.subscribe('v', LIVE, { id: 42.5 });
    expect((await socket.take('v')).payload?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    socket.close();
  });

  it('stops delivering after the client completes the subscription', async () => {
    const { driver, sessionId } = await activeSession(operator, 0);
    const socket = await connect(driver);
    socket.subscribe('gone', LIVE, { id: sessionId });
    socket.subscribe('kept', `subscription ($id: ID!) { chargingSessionUpdated(id: $id) { energyWh } }`, {
      id: sessionId,
    });
    await socket.take('gone');
    await socket.take('kept');
    socket.complete('gone');

    // 100 Wh at once: within the fixed allowance of the plausibility check.
    await meter(operator, sessionId, 100);
    const kept = await until(socket, 'kept', (s) => s.energyWh === 100);
    expect(kept).toEqual({ energyWh: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.queued('gone')).toEqual([]);
    socket.close();
  });

  it('folds a burst of changes into at most one run in flight and one pending', async () => {
    const { driver, sessionId } = await activeSession(other, 1);
    const socket = await connect(driver);
    socket.subscribe('b', `subscription ($id: ID!) { chargingSessionUpdated(id: $id) { energyWh } }`, {
      id: sessionId,
    });
    await socket.take('b');
    await meter(other, sessionId, 100);
    await until(socket, 'b', (s) => s.energyWh === 100);

    // 30 hints that reach the gateway together (one NOTIFY statement; distinct payloads, or PostgreSQL folds them).
    const db = new pg.Client({ connectionString: busDatabaseUrl(p.stack.config) });
    await db.connect();
    await db.query(
      `select pg_notify('session_changed', json_build_object('id', $1::text, 'n', n)::text) from generate_series(1, 30) n`,
      [sessionId],
    );
    await db.end();
    await socket.take('b');
    await new Promise((resolve) => setTimeout(resolve, 500));
    // One run for the burst, at most one more for hints that came in while it ran.
    expect(socket.queued('b').length).toBeLessThanOrEqual(1);
    socket.close();
  });

  it('limits subscriptions per connection', async () => {
    const { driver, sessionId } = await activeSession(other, 2);
    const socket = await connect(driver);
    for (const id of ['1', '2', '3', '4']) {
      socket.subscribe(id, LIVE, { id: sessionId });
      await socket.take(id);
    }
    socket.subscribe('5', LIVE, { id: sessionId });
    expect(await socket.take('5')).toMatchObject({
      type: 'error',
      payload: [{ extensions: { code: 'RATE_LIMITED' } }],
    });
    socket.complete('1');
    await expect
      .poll(async () => {
        socket.subscribe('6', LIVE, { id: sessionId });
        const answer = await socket.take('6');
        if (answer.type === 'next') socket.complete('6');
        return answer.type;
      })
      .toBe('next');
    socket.close();
  });

  it('keeps HTTP: POST /graphql still answers, a subscription there is pointed to WebSocket', async () => {
    const answer = await p.stack.query(`subscription { chargingSessionUpdated(id: "x") { id } }`, {}, newDriver());
    expect(answer.errors?.[0]).toMatchObject({
      message: expect.stringContaining('WebSocket'),
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect((await p.stack.query(`{ __typename }`)).data).toEqual({ __typename: 'Query' });
  });

  it('a subscription sent to the session subgraph directly answers that the gateway serves it', async () => {
    const body = JSON.stringify({ query: 'subscription { chargingSessionUpdated(id: "x") { id } }' });
    const session = p.stack.subgraphs.session!;
    const response = await fetch(session.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-chargegraph-identity': await signIdentity(
          { role: Role.DRIVER, sub: 'direct' },
          'gateway',
          p.stack.config.signingSecrets[0],
          body,
        ),
      },
      body,
    });
    expect(JSON.stringify(await response.json())).toContain('served by the gateway over WebSocket');
  });

  it("works with graphql-ws's own client (the README example)", async () => {
    const { driver, sessionId } = await activeSession(other, 0);
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: async () => bearer(driver),
      retryAttempts: 0,
    });
    const updates = client.iterate<{ chargingSessionUpdated: { status: string; energyWh: number } }>({
      query: `subscription ($id: ID!) { chargingSessionUpdated(id: $id) { status energyWh } }`,
      variables: { id: sessionId },
    });
    const first = await updates.next();
    expect(first.value?.data?.chargingSessionUpdated).toEqual({ status: 'ACTIVE', energyWh: 0 });
    await updates.return?.();
    await client.dispose();
  });

  it('closes live connections with 1001 when the gateway shuts down', async () => {
    const socket = await connect(newDriver());
    await p.stack.gateway.close();
    expect((await socket.closed).code).toBe(1001);
  });
});
