import { randomUUID } from 'node:crypto';
import type { RPCClient } from 'ocpp-rpc';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { TokenClaims } from '../../dev/tokens.js';
import { basicAuth, charger, refusedWith, until, upgrade } from '../../ocpp/test/support.js';
import { CHARGER_COMMAND_PATH } from '../../platform/charger-commands.js';
import { databaseUrl } from '../../platform/database-admin.js';
import { IDENTITY_HEADER, Role, signIdentity, type Identity } from '../../platform/identity.js';
import { newDriver, ok, platformAdmin, saveCard, type PaymentStack } from '../payment/support.js';
import { backdateSession } from '../support/backdate.js';
import {
  forgetFingerprint,
  http,
  probe,
  type Expectation,
  type Fixtures,
  type HttpResult,
  type Probe,
} from './support.js';

/*
 * Hostile chargers against the whole platform: each tenant has a well-behaved charge point at its station (an
 * ocpp-rpc client with a running session, the victim) and a hostile one at a second station (a raw WebSocket that
 * sends whatever it is told). Every probe must be refused exactly as the OCPP process prescribes, change nothing in
 * any database or at the provider, and leave both tenants' well-behaved chargers served.
 */

type Protocol = 'ocpp1.6' | 'ocpp2.0.1';

/** The session a well-behaved charger runs: other chargers' probes aim at it. */
interface Victim {
  sessionId: string;
  driver: TokenClaims;
  /** As the platform knows it: 1.6 the session subgraph's integer, 2.0.1 the charger's own id. */
  transactionId: string;
  ocppConnectorId: number;
  idTag: string;
  meterStartWh: number;
  /** The register and time of its last accepted meter value. */
  lastWh: number;
  lastAt: Date;
}

/** A well-behaved charger (ocpp-rpc's client): answers the remote start, records every command it receives. */
interface GoodCharger {
  chargePointId: string;
  password: string;
  protocol: Protocol;
  client: RPCClient;
  commands: string[];
  victim: Victim;
}

interface TenantChargers {
  good: GoodCharger;
  hostile: RawCharger;
}

export interface ChargerFixtures {
  p: PaymentStack;
  /** ws://…/ocpp (a charge point's URL is this plus /<chargePointId>). */
  wsUrl: string;
  ocppUrl: string;
  A: TenantChargers;
  B: TenantChargers;
}

// ---- a raw WebSocket charger ---------------------------------------------------------------------------------

/** A charger that is only a WebSocket (the `ws` package): frames out as given, frames in as they come. */
export class RawCharger {
  private socket: WebSocket | undefined;
  private inbox: string[] = [];
  private waiting: Array<(frame: string | undefined) => void> = [];
  private closedWith: { code: number; reason: string } | undefined;
  private onClose: Array<(close: { code: number; reason: string }) => void> = [];

  constructor(
    readonly wsUrl: string,
    readonly chargePointId: string,
    readonly password: string,
    readonly protocol: Protocol,
  ) {}

  async connect(): Promise<void> {
    this.inbox = [];
    this.closedWith = undefined;
    const socket = new WebSocket(`${this.wsUrl}/${encodeURIComponent(this.chargePointId)}`, [this.protocol], {
      headers: { authorization: basicAuth(this.chargePointId, this.password) },
    });
    socket.on('message', (data: WebSocket.RawData) => {
      const frame = data.toString();
      const waiter = this.waiting.shift();
      if (waiter) waiter(frame);
      else this.inbox.push(frame);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.closedWith = { code, reason: reason.toString() };
      for (const waiter of this.waiting.splice(0)) waiter(undefined);
      for (const listener of this.onClose.splice(0)) listener(this.closedWith);
    });
    socket.on('error', () => {}); // an oversized frame ends in 'close'; nothing to report beyond it
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`handshake refused: ${response.statusCode}`)),
      );
    });
    this.socket = socket;
  }

  send(text: string): void {
    if (!this.socket) throw new Error(`${this.chargePointId} is not connected`);
    this.socket.send(text);
  }

  /** The next frame the server sends (undefined once the socket closed). */
  next(): Promise<string | undefined> {
    const frame = this.inbox.shift();
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.closedWith) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Sends one frame and resolves with the server's answer. */
  async exchange(text: string): Promise<string> {
    this.send(text);
    const answer = await this.next();
    if (answer === undefined)
      throw new Error(`${this.chargePointId}: closed (${this.closedWith?.code}) instead of an answer`);
    return answer;
  }

  /** Resolves with the close code and reason, at once when already closed. */
  closed(): Promise<{ code: number; reason: string }> {
    if (this.closedWith) return Promise.resolve(this.closedWith);
    return new Promise((resolve) => this.onClose.push(resolve));
  }

  async close(): Promise<void> {
    if (!this.socket || this.closedWith) return;
    const done = this.closed();
    this.socket.close(1000, 'done');
    await done;
  }
}

// ---- fixtures --------------------------------------------------------------------------------------------------

const call = (action: string, payload: unknown, id: string = randomUUID()) => JSON.stringify([2, id, action, payload]);
const nowIso = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

async function registerChargePoint(p: PaymentStack, admin: TokenClaims, stationId: string, chargePointId: string) {
  const { registerChargePoint: registered } = ok(
    await p.stack.query<{ registerChargePoint: { password: string } }>(
      `mutation ($input: RegisterChargePointInput!) { registerChargePoint(input: $input) { chargePoint { id } password } }`,
      { input: { stationId, chargePointId } },
      admin,
    ),
  );
  return registered.password;
}

/** A second station of the tenant (two connectors), for its hostile charge point: one charge point per station. */
async function secondStation(p: PaymentStack, operatorId: string, tariffId: string): Promise<string> {
  const { createStation } = ok(
    await p.stack.query<{ createStation: { id: string } }>(
      `mutation ($input: CreateStationInput!) { createStation(input: $input) { id } }`,
      {
        input: {
          operatorId,
          name: 'Back Yard',
          address: { street: '2 Side Street', city: 'City', postalCode: '10000', country: 'DE' },
          location: { latitude: 48.2, longitude: 11.6 },
          timezone: 'Europe/Berlin',
          tariffId,
          connectors: [
            { standard: 'TYPE2', powerKw: 22 },
            { standard: 'TYPE2', powerKw: 22 },
          ],
        },
      },
      platformAdmin,
    ),
  );
  return createStation.id;
}

/** Until the presence of every connection is in the station subgraph's database. */
async function presenceWritten(p: PaymentStack): Promise<void> {
  await p.stack.ocpp.presence.flush();
}

/**
 * The good charger of a tenant: registered at the tenant's station, connected and booted; a new driver starts a
 * session in the app on connector 3, the charger accepts the remote start, confirms it (1.6 StartTransaction, 2.0.1
 * TransactionEvent Started with its own transaction id) and sends one meter value.
 */
async function goodCharger(
  p: PaymentStack,
  wsUrl: string,
  tenant: Fixtures['A'],
  chargePointId: string,
  protocol: Protocol,
): Promise<GoodCharger> {
  const password = await registerChargePoint(p, tenant.admin, tenant.operator.stationId, chargePointId);
  const client = charger(wsUrl, chargePointId, password, protocol);
  const commands: string[] = [];
  let remoteStart: (params: Record<string, unknown>) => void = () => {};
  const started = new Promise<Record<string, unknown>>((resolve) => (remoteStart = resolve));
  client.handle(async ({ method, params }) => {
    commands.push(String(method));
    if ((method === 'RemoteStartTransaction' || method === 'RequestStartTransaction') && commands.length === 1) {
      remoteStart(params ?? {});
      return { status: 'Accepted' };
    }
    return { status: 'Rejected' };
  });
  await client.connect();
  const boot =
    protocol === 'ocpp1.6'
      ? { chargePointVendor: 'Abuse', chargePointModel: 'Good' }
      : { chargingStation: { vendorName: 'Abuse', model: 'Good' }, reason: 'PowerUp' };
  await client.call('BootNotification', boot);
  await presenceWritten(p);

  const driver = newDriver();
  await saveCard(p, driver);
  const ocppConnectorId = 3;
  const connectorId = tenant.operator.connectorIds[ocppConnectorId - 1];
  const starting = p.stack.query<{ startChargingSession: { id: string; status: string } }>(
    `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id status } }`,
    { input: { stationId: tenant.operator.stationId, connectorId } },
    driver,
  );
  const params = await started;
  const { startChargingSession: session } = ok(await starting);
  expect(session.status).toBe('PENDING');
  const meterStartWh = 1_000;
  let transactionId: string;
  let idTag: string;
  if (protocol === 'ocpp1.6') {
    idTag = String(params.idTag);
    const answer = (await client.call('StartTransaction', {
      connectorId: ocppConnectorId,
      idTag,
      meterStart: meterStartWh,
      timestamp: nowIso(),
    })) as { transactionId: number; idTagInfo: { status: string } };
    expect(answer.idTagInfo.status).toBe('Accepted');
    transactionId = String(answer.transactionId);
  } else {
    idTag = String((params.idToken as { idToken: string }).idToken);
    // A numeric id, so a hostile 1.6 charger can name it too.
    transactionId = '900001';
    const answer = (await client.call('TransactionEvent', {
      eventType: 'Started',
      timestamp: nowIso(),
      triggerReason: 'RemoteStart',
      seqNo: 0,
      transactionInfo: { transactionId, remoteStartId: params.remoteStartId, chargingState: 'Charging' },
      evse: { id: ocppConnectorId, connectorId: 1 },
      idToken: { idToken: idTag, type: 'Central' },
      meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: meterStartWh }] }],
    })) as { idTokenInfo?: { status: string } };
    expect(answer.idTokenInfo?.status).toBe('Accepted');
  }
  // Its start a few minutes back (as if it had charged a while), so a meter value between start and now is plausible.
  await backdateSession(databaseUrl(p.stack.config, 'session'), session.id, 1_000);
  const victim: Victim = {
    sessionId: session.id,
    driver,
    transactionId,
    ocppConnectorId,
    idTag,
    meterStartWh,
    lastWh: meterStartWh + 50,
    lastAt: new Date(),
  };
  await client.call(...meterValueCall(protocol, victim, victim.lastWh, victim.lastAt));
  const { chargingSession } = ok(
    await p.stack.query<{ chargingSession: { status: string; energyWh: number } }>(
      `query ($id: ID!) { chargingSession(id: $id) { status energyWh } }`,
      { id: session.id },
      driver,
    ),
  );
  expect(chargingSession).toEqual({ status: 'ACTIVE', energyWh: 50 });
  return { chargePointId, password, protocol, client, commands, victim };
}

/** A meter value of the victim's transaction in its charger's protocol: [action, payload]. */
function meterValueCall(
  protocol: Protocol,
  victim: Pick<Victim, 'transactionId' | 'ocppConnectorId'>,
  registerWh: number,
  at: Date,
  sample: Record<string, unknown> = {},
): [string, Record<string, unknown>] {
  if (protocol === 'ocpp1.6')
    return [
      'MeterValues',
      {
        connectorId: victim.ocppConnectorId,
        transactionId: Number(victim.transactionId),
        meterValue: [{ timestamp: at.toISOString(), sampledValue: [{ value: String(registerWh), ...sample }] }],
      },
    ];
  return [
    'TransactionEvent',
    {
      eventType: 'Updated',
      timestamp: at.toISOString(),
      triggerReason: 'MeterValuePeriodic',
      seqNo: 1,
      transactionInfo: { transactionId: victim.transactionId },
      evse: { id: victim.ocppConnectorId, connectorId: 1 },
      meterValue: [{ timestamp: at.toISOString(), sampledValue: [{ value: registerWh, ...sample }] }],
    },
  ];
}

async function hostileCharger(
  p: PaymentStack,
  wsUrl: string,
  tenant: Fixtures['A'],
  chargePointId: string,
  protocol: Protocol,
): Promise<RawCharger> {
  const stationId = await secondStation(p, tenant.operator.id, tenant.tariffId);
  const password = await registerChargePoint(p, tenant.admin, stationId, chargePointId);
  const hostile = new RawCharger(wsUrl, chargePointId, password, protocol);
  await hostile.connect();
  return hostile;
}

/**
 * Both tenants' chargers, connected, with their sessions running; then every write they caused (presence, holds,
 * webhooks) is in, and the next probe fingerprints afresh.
 */
export async function buildChargerFixtures(f: Fixtures): Promise<ChargerFixtures> {
  const { p } = f;
  const ocppUrl = p.stack.ocppUrl;
  const wsUrl = `${ocppUrl.replace('http', 'ws')}/ocpp`;
  const A = {
    good: await goodCharger(p, wsUrl, f.A, 'ABUSE-A-GOOD', 'ocpp1.6'),
    hostile: await hostileCharger(p, wsUrl, f.A, 'ABUSE-A-ROGUE', 'ocpp1.6'),
  };
  const B = {
    good: await goodCharger(p, wsUrl, f.B, 'ABUSE-B-GOOD', 'ocpp2.0.1'),
    hostile: await hostileCharger(p, wsUrl, f.B, 'ABUSE-B-ROGUE', 'ocpp2.0.1'),
  };
  await until(() => p.stack.ocpp.connections.size === 4);
  await presenceWritten(p);
  await p.emulator.flushWebhooks();
  forgetFingerprint();
  return { p, wsUrl, ocppUrl, A, B };
}

export async function closeChargerFixtures(c: ChargerFixtures | undefined): Promise<void> {
  if (!c) return;
  await Promise.all([c.A.good.client.close(), c.B.good.client.close(), c.A.hostile.close(), c.B.hostile.close()]);
}

// ---- what every probe asserts besides the refusal ------------------------------------------------------------

/** Both tenants' well-behaved chargers are still connected (not replaced) and answered; no command reached them. */
async function goodChargersServed(c: ChargerFixtures, commandsBefore: number[]): Promise<void> {
  for (const [index, good] of [c.A.good, c.B.good].entries()) {
    expect(c.p.stack.ocpp.connections.get(good.chargePointId)?.client, `${good.chargePointId} replaced`).toBeDefined();
    const answer = (await good.client.call('Heartbeat', {})) as { currentTime?: string };
    expect(answer.currentTime, `${good.chargePointId} answered`).toMatch(/^\d{4}-/);
    expect(good.commands.length, `commands sent to ${good.chargePointId}`).toBe(commandsBefore[index]);
  }
}

/** The victims' sessions as their drivers see them: status, energy, cost (nothing billed, nothing ended). */
async function victimsAsSeen(c: ChargerFixtures): Promise<unknown[]> {
  return Promise.all(
    [c.A.good.victim, c.B.good.victim].map(async (victim) =>
      ok(
        await c.p.stack.query(
          `query ($id: ID!) { chargingSession(id: $id) { status energyWh endedAt cost { total { amount currency } } } }`,
          { id: victim.sessionId },
          victim.driver,
        ),
      ),
    ),
  );
}

/**
 * A charger probe: the hostile act, then both good chargers served and the victims' sessions as before; the
 * answer becomes an HttpResult (status 101 for an answered frame, 500 for an InternalError the tally counts).
 */
function chargerProbe(
  name: string,
  get: () => ChargerFixtures,
  act: (c: ChargerFixtures) => Promise<HttpResult>,
  expectation: Expectation,
): Probe {
  return probe(
    name,
    async () => {
      const c = get();
      const commandsBefore = [c.A.good.commands.length, c.B.good.commands.length];
      const before = await victimsAsSeen(c);
      const result = await act(c);
      await goodChargersServed(c, commandsBefore);
      expect(await victimsAsSeen(c), `${name}: a victim's session changed`).toEqual(before);
      return result;
    },
    expectation,
  );
}

const frameResult = (sent: string, answer: string): HttpResult => {
  const frame = JSON.parse(answer) as unknown[];
  return {
    status: frame[0] === 4 && frame[2] === 'InternalError' ? 500 : 101,
    headers: new Headers(),
    text: answer,
    sent,
  };
};

/** A hostile frame and the server's answer to it. */
const frame =
  (who: (c: ChargerFixtures) => RawCharger, text: string | ((c: ChargerFixtures) => string)) =>
  async (c: ChargerFixtures) => {
    const sent = typeof text === 'function' ? text(c) : text;
    return frameResult(sent, await who(c).exchange(sent));
  };

/** A CALL with a known message id: the answer must carry it. */
const callFrame =
  (
    who: (c: ChargerFixtures) => RawCharger,
    action: string,
    payload: (c: ChargerFixtures) => unknown,
    id = `abuse-${randomUUID()}`,
  ) =>
  async (c: ChargerFixtures) => {
    const result = await frame(who, call(action, payload(c), id))(c);
    expect((JSON.parse(result.text) as unknown[])[1], 'the answer names the call').toBe(id);
    return result;
  };

/** The answer is CALLERROR `code` (its description matching `description`). */
const callError = (code: string, description?: RegExp): Expectation => ({
  status: 101,
  check: (result) => {
    const answer = JSON.parse(result.text) as unknown[];
    expect(answer[0], result.text).toBe(4);
    expect(answer[2], result.text).toBe(code);
    if (description) expect(answer[3], result.text).toMatch(description);
  },
});

/** The answer is a CALLRESULT whose payload passes `check`. */
const callResultWhere = (check: (payload: unknown) => void): Expectation => ({
  status: 101,
  check: (result) => {
    const answer = JSON.parse(result.text) as unknown[];
    expect(answer[0], result.text).toBe(3);
    check(answer[2]);
  },
});

/** The answer is a CALLRESULT with exactly this payload. */
const callResult = (payload: unknown): Expectation => callResultWhere((answer) => expect(answer).toEqual(payload));

const handshake = (status: number) => async (): Promise<HttpResult> => ({
  status,
  headers: new Headers(),
  text: '',
  sent: '',
});

// ---- probe families --------------------------------------------------------------------------------------------

const hostileA = (c: ChargerFixtures) => c.A.hostile;
const hostileB = (c: ChargerFixtures) => c.B.hostile;

function handshakeProbes(get: () => ChargerFixtures): Probe[] {
  const refused = (name: string, attempt: (c: ChargerFixtures) => Promise<number>, status: number) =>
    chargerProbe(name, get, async (c) => handshake(await attempt(c))(), { status });
  const connect = (c: ChargerFixtures, id: string, password: string | null, protocol: Protocol = 'ocpp1.6') =>
    refusedWith(charger(c.wsUrl, id, password, protocol).connect());
  return [
    refused('an unknown charge point id', (c) => connect(c, 'ABUSE-NOBODY', c.A.good.password), 401),
    refused(
      'the right id with a wrong password',
      (c) => connect(c, c.A.good.chargePointId, 'wrong-password-0123'),
      401,
    ),
    refused('the right id with an empty password', (c) => connect(c, c.A.good.chargePointId, ''), 401),
    refused('the right id without an Authorization header', (c) => connect(c, c.A.good.chargePointId, null), 401),
    refused(
      "another tenant's charge point id with this one's password",
      (c) => connect(c, c.B.good.chargePointId, c.A.good.password, 'ocpp2.0.1'),
      401,
    ),
    refused(
      "this charge point's credentials on another tenant's URL",
      (c) =>
        upgrade(c.ocppUrl, `/ocpp/${c.B.good.chargePointId}`, {
          authorization: basicAuth(c.A.good.chargePointId, c.A.good.password),
        }),
      401,
    ),
    refused(
      'a Bearer token instead of Basic auth',
      (c) => upgrade(c.ocppUrl, `/ocpp/${c.A.good.chargePointId}`, { authorization: `Bearer ${c.A.good.password}` }),
      401,
    ),
    refused(
      'an unsupported subprotocol (ocpp1.5) with valid credentials',
      (c) =>
        upgrade(c.ocppUrl, `/ocpp/${c.A.good.chargePointId}`, {
          authorization: basicAuth(c.A.good.chargePointId, c.A.good.password),
          'sec-websocket-protocol': 'ocpp1.5',
        }),
      400,
    ),
    ...['/ocpp', '/ocpp/', '/ABUSE-A-GOOD', '/ocpp/ABUSE-A-GOOD/extra', '/other/ABUSE-A-GOOD'].map((path) =>
      refused(
        `a WebSocket on ${path} (not /ocpp/<id>)`,
        (c) => upgrade(c.ocppUrl, path, { authorization: basicAuth(c.A.good.chargePointId, c.A.good.password) }),
        404,
      ),
    ),
  ];
}

function connectorProbes(get: () => ChargerFixtures): Probe[] {
  const PROPERTY = 'PropertyConstraintViolation';
  const status16 = (connectorId: number) => ({ connectorId, errorCode: 'NoError', status: 'Available' });
  const status201 = (evseId: number, connectorId = 1) => ({
    timestamp: nowIso(),
    connectorStatus: 'Available',
    evseId,
    connectorId,
  });
  const started201 = (evseId: number, idToken?: string) => ({
    eventType: 'Started',
    timestamp: nowIso(),
    triggerReason: 'Authorized',
    seqNo: 0,
    transactionInfo: { transactionId: `rogue-${randomUUID().slice(0, 8)}` },
    evse: { id: evseId, connectorId: 1 },
    ...(idToken ? { idToken: { idToken, type: 'ISO14443' } } : {}),
  });
  const probes: Array<[string, (c: ChargerFixtures) => Promise<HttpResult>, Expectation]> = [
    [
      "1.6 StatusNotification for connector 3 (its other station's, not this one's)",
      callFrame(hostileA, 'StatusNotification', () => status16(3)),
      callError(PROPERTY, /Connector 3 does not exist/),
    ],
    [
      '1.6 StatusNotification for connector 99',
      callFrame(hostileA, 'StatusNotification', () => status16(99)),
      callError(PROPERTY, /Connector 99 does not exist/),
    ],
    [
      "1.6 StartTransaction on connector 3 with the tag of the tenant's running session there",
      callFrame(hostileA, 'StartTransaction', (c) => ({
        connectorId: 3,
        idTag: c.A.good.victim.idTag,
        meterStart: 0,
        timestamp: nowIso(),
      })),
      callError(PROPERTY, /Connector 3 does not exist/),
    ],
    [
      "1.6 StartTransaction on its own connector with the tag of another tenant's running session",
      callFrame(hostileA, 'StartTransaction', (c) => ({
        connectorId: 1,
        idTag: c.B.good.victim.idTag,
        meterStart: 0,
        timestamp: nowIso(),
      })),
      callResultWhere((payload) =>
        expect(payload).toEqual({ transactionId: expect.any(Number), idTagInfo: { status: 'Invalid' } }),
      ),
    ],
    [
      "1.6 StartTransaction on its own connector with the tag of the tenant's session at its other station",
      callFrame(hostileA, 'StartTransaction', (c) => ({
        connectorId: 2,
        idTag: c.A.good.victim.idTag,
        meterStart: 0,
        timestamp: nowIso(),
      })),
      callResultWhere((payload) =>
        expect(payload).toEqual({ transactionId: expect.any(Number), idTagInfo: { status: 'Invalid' } }),
      ),
    ],
    [
      "1.6 MeterValues on connector 3 for the tenant's running transaction there",
      callFrame(hostileA, 'MeterValues', (c) => ({
        connectorId: 3,
        transactionId: Number(c.A.good.victim.transactionId),
        meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: '1060' }] }],
      })),
      callError(PROPERTY, /Connector 3 does not exist/),
    ],
    [
      '2.0.1 StatusNotification for EVSE 3 (its other station has one, this one not)',
      callFrame(hostileB, 'StatusNotification', () => status201(3)),
      callError(PROPERTY, /EVSE 3 does not exist/),
    ],
    [
      '2.0.1 StatusNotification for connector 2 of EVSE 1',
      callFrame(hostileB, 'StatusNotification', () => status201(1, 2)),
      callError(PROPERTY, /EVSE 1 has one connector/),
    ],
    [
      '2.0.1 TransactionEvent Started on EVSE 3',
      callFrame(hostileB, 'TransactionEvent', (c) => started201(3, c.B.good.victim.idTag)),
      callError(PROPERTY, /EVSE 3 does not exist/),
    ],
    [
      "2.0.1 TransactionEvent Started on its own EVSE with the tag of another tenant's running session",
      callFrame(hostileB, 'TransactionEvent', (c) => started201(1, c.A.good.victim.idTag)),
      callResult({ idTokenInfo: { status: 'Invalid' } }),
    ],
  ];
  return probes.map(([name, act, expectation]) => chargerProbe(name, get, act, expectation));
}

function transactionProbes(get: () => ChargerFixtures): Probe[] {
  const stop16 = (transactionId: (c: ChargerFixtures) => string) => (c: ChargerFixtures) => ({
    transactionId: Number(transactionId(c)),
    meterStop: 999_999,
    timestamp: nowIso(),
    reason: 'Remote',
  });
  const meter16 = (transactionId: (c: ChargerFixtures) => string) => (c: ChargerFixtures) => ({
    connectorId: 1,
    transactionId: Number(transactionId(c)),
    meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: '1070' }] }],
  });
  const event201 =
    (eventType: 'Updated' | 'Ended', transactionId: (c: ChargerFixtures) => string) => (c: ChargerFixtures) => ({
      eventType,
      timestamp: nowIso(),
      triggerReason: eventType === 'Ended' ? 'StopAuthorized' : 'MeterValuePeriodic',
      seqNo: 5,
      transactionInfo: {
        transactionId: transactionId(c),
        ...(eventType === 'Ended' ? { stoppedReason: 'Local' } : {}),
      },
      ...(eventType === 'Updated' ? { evse: { id: 1, connectorId: 1 } } : {}),
      meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: 999_999 }] }],
    });
  const otherTenant16 = (c: ChargerFixtures) => c.B.good.victim.transactionId;
  const sameTenant16 = (c: ChargerFixtures) => c.A.good.victim.transactionId;
  const otherTenant201 = (c: ChargerFixtures) => c.A.good.victim.transactionId;
  const sameTenant201 = (c: ChargerFixtures) => c.B.good.victim.transactionId;
  // A stop for a transaction this charge point does not have is acknowledged (else the charger resends it forever)
  // and changes nothing; a meter value for one is refused.
  const NO_TRANSACTION = callError('PropertyConstraintViolation', /^No transaction \d+ at this charge point\.$/);
  const probes: Array<[string, (c: ChargerFixtures) => Promise<HttpResult>, Expectation]> = [
    [
      "1.6 StopTransaction of another tenant's running transaction",
      callFrame(hostileA, 'StopTransaction', stop16(otherTenant16)),
      callResult({}),
    ],
    [
      "1.6 StopTransaction of the tenant's transaction at its other station",
      callFrame(hostileA, 'StopTransaction', stop16(sameTenant16)),
      callResult({}),
    ],
    [
      "1.6 MeterValues for another tenant's running transaction",
      callFrame(hostileA, 'MeterValues', meter16(otherTenant16)),
      NO_TRANSACTION,
    ],
    [
      "1.6 MeterValues for the tenant's transaction at its other station",
      callFrame(hostileA, 'MeterValues', meter16(sameTenant16)),
      NO_TRANSACTION,
    ],
    [
      "2.0.1 TransactionEvent Ended of another tenant's running transaction",
      callFrame(hostileB, 'TransactionEvent', event201('Ended', otherTenant201)),
      callResult({}),
    ],
    [
      "2.0.1 TransactionEvent Ended of the tenant's transaction at its other station",
      callFrame(hostileB, 'TransactionEvent', event201('Ended', sameTenant201)),
      callResult({}),
    ],
    [
      "2.0.1 TransactionEvent Updated with meter values for another tenant's running transaction",
      callFrame(hostileB, 'TransactionEvent', event201('Updated', otherTenant201)),
      NO_TRANSACTION,
    ],
    [
      "2.0.1 TransactionEvent Updated with meter values for the tenant's transaction at its other station",
      callFrame(hostileB, 'TransactionEvent', event201('Updated', sameTenant201)),
      NO_TRANSACTION,
    ],
  ];
  return probes.map(([name, act, expectation]) => chargerProbe(name, get, act, expectation));
}

/** The good charger itself sends a meter value for its own session that the platform must not bill. */
function meterProbes(get: () => ChargerFixtures): Probe[] {
  const own =
    (
      tenant: 'A' | 'B',
      register: (v: Victim) => number,
      at: (v: Victim) => Date = () => new Date(),
      sample: Record<string, unknown> = {},
    ) =>
    async (c: ChargerFixtures): Promise<HttpResult> => {
      const good = c[tenant].good;
      const [action, payload] = meterValueCall(
        good.protocol,
        good.victim,
        register(good.victim),
        at(good.victim),
        sample,
      );
      // Through the good charger's own connection: it is its own session's meter that lies.
      const id = `abuse-${randomUUID()}`;
      const sent = call(action, payload, id);
      const answer = new Promise<string>((resolve) => {
        const listener = ({ message, outbound }: { message: string; outbound: boolean }) => {
          if (outbound || !message.includes(id)) return;
          good.client.off('message', listener);
          resolve(message);
        };
        good.client.on('message', listener);
      });
      good.client.sendRaw(sent);
      return frameResult(sent, await answer);
    };
  const IMPLAUSIBLE = (description: RegExp) => callError('PropertyConstraintViolation', description);
  const probes: Array<[string, (c: ChargerFixtures) => Promise<HttpResult>, Expectation]> = [
    [
      '1.6 a jump of 50 kWh within seconds on a 22 kW connector',
      own('A', (v) => v.lastWh + 50_000),
      IMPLAUSIBLE(/rose by 50000 Wh .* more than the 22 kW connector can deliver/),
    ],
    [
      '1.6 the same jump in kWh',
      own('A', (v) => (v.lastWh + 50_000) / 1000, undefined, { unit: 'kWh' }),
      IMPLAUSIBLE(/more than the 22 kW connector can deliver/),
    ],
    ['1.6 a register going backwards', own('A', (v) => v.lastWh - 30), IMPLAUSIBLE(/went backwards/)],
    [
      '1.6 a register below its value at the start',
      own('A', (v) => v.meterStartWh - 1),
      IMPLAUSIBLE(/below its start value/),
    ],
    [
      '1.6 a meter value older than the last one',
      own(
        'A',
        (v) => v.lastWh + 10,
        (v) => new Date(v.lastAt.getTime() - 60_000),
      ),
      IMPLAUSIBLE(/earlier than the last meter value/),
    ],
    [
      '1.6 a meter value an hour in the future',
      own(
        'A',
        (v) => v.lastWh + 10,
        () => new Date(Date.now() + 3_600_000),
      ),
      IMPLAUSIBLE(/in the future/),
    ],
    [
      '1.6 an energy register in amperes',
      own('A', (v) => v.lastWh + 10, undefined, { unit: 'A' }),
      IMPLAUSIBLE(/unit A is not Wh or kWh/),
    ],
    [
      '2.0.1 a jump of 50 kWh within seconds on a 22 kW connector',
      own('B', (v) => v.lastWh + 50_000),
      IMPLAUSIBLE(/rose by 50000 Wh .* more than the 22 kW connector can deliver/),
    ],
    ['2.0.1 a register going backwards', own('B', (v) => v.lastWh - 30), IMPLAUSIBLE(/went backwards/)],
  ];
  return probes.map(([name, act, expectation]) => chargerProbe(name, get, act, expectation));
}

function malformedProbes(get: () => ChargerFixtures): Probe[] {
  /** A malformed frame, then the hostile charger's own connection still answers (it was not closed). */
  const bad =
    (who: (c: ChargerFixtures) => RawCharger, text: string) =>
    async (c: ChargerFixtures): Promise<HttpResult> => {
      const result = await frame(who, text)(c);
      const still = JSON.parse(await who(c).exchange(call('Heartbeat', {}))) as unknown[];
      expect(still[0], 'the sender is still served').toBe(3);
      return result;
    };
  const frameworkError = (description: string): Expectation => ({
    status: 101,
    check: (result) => expect(JSON.parse(result.text)).toEqual([4, '-1', 'RpcFrameworkError', description, {}]),
  });
  const probes: Array<[string, (c: ChargerFixtures) => Promise<HttpResult>, Expectation]> = [
    ['not JSON', bad(hostileA, 'this is not json'), frameworkError('Message must be a JSON structure')],
    [
      'a JSON object, not an OCPP-J array',
      bad(hostileA, '{"not":"an array"}'),
      frameworkError('Message must be an array'),
    ],
    ['an empty array', bad(hostileB, '[]'), frameworkError('Message type must be a number')],
    [
      'a message type as a string',
      bad(hostileB, '["2","x","Heartbeat",{}]'),
      frameworkError('Message type must be a number'),
    ],
    [
      'a message id that is a number',
      bad(hostileA, '[2,5,"Heartbeat",{}]'),
      frameworkError('Message ID must be a string'),
    ],
    [
      'message type 7',
      bad(hostileA, '[7,"abuse-7","Heartbeat",{}]'),
      {
        status: 101,
        check: (r) =>
          expect((JSON.parse(r.text) as unknown[]).slice(0, 3)).toEqual([4, '-1', 'MessageTypeNotSupported']),
      },
    ],
    [
      'a CALLRESULT nobody asked for (not answered)',
      async (c) => {
        c.A.hostile.send('[3,"abuse-unasked",{"status":"Accepted"}]');
        // OCPP-J answers no CALLRESULT: the next frame is the answer to the Heartbeat after it.
        return frameResult('', await c.A.hostile.exchange(call('Heartbeat', {}, 'abuse-after-unasked')));
      },
      callResultWhere((payload) => expect(payload).toEqual({ currentTime: expect.any(String) })),
    ],
    [
      '1.6 a CALL of an unknown action',
      callFrame(hostileA, 'MakeCoffee', () => ({ sugar: 2 })),
      callError('NotImplemented'),
    ],
    [
      '1.6 a CALL of a 2.0.1-only action',
      callFrame(hostileA, 'TransactionEvent', () => ({})),
      callError('NotImplemented'),
    ],
    ['2.0.1 a CALL of an unknown action', callFrame(hostileB, 'MakeCoffee', () => ({})), callError('NotImplemented')],
    [
      '2.0.1 a CALL of a 1.6-only action',
      callFrame(hostileB, 'StartTransaction', () => ({
        connectorId: 1,
        idTag: 'x',
        meterStart: 0,
        timestamp: nowIso(),
      })),
      callError('NotImplemented'),
    ],
    [
      '1.6 BootNotification with a number for a string',
      callFrame(hostileA, 'BootNotification', () => ({ chargePointVendor: 1, chargePointModel: 'x' })),
      callError('TypeConstraintViolation'),
    ],
    [
      '1.6 BootNotification without a required field',
      callFrame(hostileA, 'BootNotification', () => ({ chargePointVendor: 'x' })),
      callError('OccurrenceConstraintViolation'),
    ],
    [
      '1.6 BootNotification with a vendor longer than the schema allows',
      callFrame(hostileA, 'BootNotification', () => ({ chargePointVendor: 'x'.repeat(21), chargePointModel: 'x' })),
      callError('FormationViolation'),
    ],
    [
      '1.6 Heartbeat with a property the schema does not have',
      callFrame(hostileA, 'Heartbeat', () => ({ extra: true })),
      callError('PropertyConstraintViolation'),
    ],
    [
      '1.6 StatusNotification with a status outside the enum',
      callFrame(hostileA, 'StatusNotification', () => ({ connectorId: 1, errorCode: 'NoError', status: 'Sleeping' })),
      callError('FormationViolation'),
    ],
    [
      '1.6 MeterValues with a string for the connector',
      callFrame(hostileA, 'MeterValues', () => ({ connectorId: '1', meterValue: [] })),
      callError('TypeConstraintViolation'),
    ],
    [
      '1.6 a CALL whose payload is not an object',
      callFrame(hostileA, 'Heartbeat', () => 'beat'),
      callError('TypeConstraintViolation'),
    ],
    [
      '2.0.1 BootNotification with a number for a string',
      callFrame(hostileB, 'BootNotification', () => ({
        chargingStation: { vendorName: 1, model: 'x' },
        reason: 'PowerUp',
      })),
      callError('TypeConstraintViolation'),
    ],
    [
      '2.0.1 BootNotification without a required field',
      callFrame(hostileB, 'BootNotification', () => ({ reason: 'PowerUp' })),
      // 2.0.1 spells it so (OCPP-J 2.0.1 §4.3), and calls 1.6's FormationViolation FormatViolation.
      callError('OccurenceConstraintViolation'),
    ],
    [
      '2.0.1 StatusNotification with a status outside the enum',
      callFrame(hostileB, 'StatusNotification', () => ({
        timestamp: nowIso(),
        evseId: 1,
        connectorId: 1,
        connectorStatus: 'Sleeping',
      })),
      callError('FormatViolation'),
    ],
    [
      '2.0.1 TransactionEvent with a property the schema does not have',
      callFrame(hostileB, 'TransactionEvent', () => ({
        eventType: 'Updated',
        timestamp: nowIso(),
        triggerReason: 'MeterValuePeriodic',
        seqNo: 1,
        transactionInfo: { transactionId: 'x' },
        sneaky: true,
      })),
      callError('PropertyConstraintViolation'),
    ],
  ];
  return [
    ...probes.map(([name, act, expectation]) => chargerProbe(name, get, act, expectation)),
    ...closingProbes(get),
  ];
}

/**
 * The sender is disconnected, the code says how; it connects again (presence: connected as before), and other
 * chargers were served meanwhile.
 */
async function disconnectedThenBack(c: ChargerFixtures, who: RawCharger): Promise<{ code: number; reason: string }> {
  const closed = await who.closed();
  await until(() => c.p.stack.ocpp.connections.get(who.chargePointId) === undefined);
  await who.connect();
  await until(() => c.p.stack.ocpp.connections.get(who.chargePointId) !== undefined);
  await presenceWritten(c.p);
  return closed;
}

const closedWith = (code: number, reason: string): Expectation => ({
  status: 101,
  check: (result) => expect(JSON.parse(result.text)).toEqual({ code, reason }),
});

function closingProbes(get: () => ChargerFixtures): Probe[] {
  return [
    chargerProbe(
      'a frame over the size limit (the socket closed 1009, nothing parsed)',
      get,
      async (c) => {
        const sent = call('DataTransfer', { vendorId: 'abuse', data: 'x'.repeat(2 * 1024 * 1024) });
        c.A.hostile.send(sent);
        const closed = await disconnectedThenBack(c, c.A.hostile);
        return { status: 101, headers: new Headers(), text: JSON.stringify(closed), sent: sent.slice(0, 100) };
      },
      closedWith(1009, ''),
    ),
    chargerProbe(
      'eleven malformed frames in a row (the socket closed 1002)',
      get,
      async (c) => {
        for (let i = 0; i < 11; i++) c.B.hostile.send(`garbage ${i}`);
        const closed = await disconnectedThenBack(c, c.B.hostile);
        return { status: 101, headers: new Headers(), text: JSON.stringify(closed), sent: 'garbage' };
      },
      closedWith(1002, 'Protocol error'),
    ),
  ];
}

function floodProbes(get: () => ChargerFixtures): Probe[] {
  const BURST = 500;
  /** A fresh connection of the hostile charger sends BURST calls at once; answers are counted until it is closed. */
  const flood =
    (frames: (c: ChargerFixtures, i: number) => string) =>
    async (c: ChargerFixtures): Promise<HttpResult> => {
      const limit = c.p.stack.ocpp.settings.OCPP_RATE_LIMIT_MESSAGES;
      expect(BURST).toBeGreaterThan(2 * limit);
      const hostile = c.A.hostile;
      // A fresh connection: a fresh rate window, whatever earlier probes sent.
      await hostile.close();
      await until(() => c.p.stack.ocpp.connections.get(hostile.chargePointId) === undefined);
      await hostile.connect();
      await until(() => c.p.stack.ocpp.connections.get(hostile.chargePointId) !== undefined);
      for (let i = 0; i < BURST; i++) hostile.send(frames(c, i));
      // Other chargers are answered while it floods.
      const neighbours = Promise.all(
        [c.A.good, c.B.good].map((good) => good.client.call('Heartbeat', {}) as Promise<{ currentTime: string }>),
      );
      const answers: unknown[][] = [];
      for (let answer = await hostile.next(); answer !== undefined; answer = await hostile.next())
        answers.push(JSON.parse(answer) as unknown[]);
      expect((await neighbours).every((answer) => typeof answer.currentTime === 'string')).toBe(true);
      const closed = await disconnectedThenBack(c, hostile);
      const kinds = answers.map((answer) => (answer[0] === 3 ? 'result' : String(answer[2])));
      const count = (kind: string) => kinds.filter((k) => k === kind).length;
      const summary = {
        closed,
        answered: answers.length,
        limit,
        results: count('result'),
        refusedAsFlood: count('GenericError'),
        other: Object.fromEntries([...new Set(kinds)].map((kind) => [kind, count(kind)])),
      };
      return { status: 101, headers: new Headers(), text: JSON.stringify(summary), sent: frames(c, 0) };
    };
  return [
    chargerProbe(
      `${BURST} Heartbeats in a burst`,
      get,
      flood((_c, i) => call('Heartbeat', {}, `flood-${i}`)),
      {
        status: 101,
        check: (result) => {
          const summary = JSON.parse(result.text) as {
            closed: unknown;
            limit: number;
            results: number;
            refusedAsFlood: number;
            answered: number;
          };
          expect(summary.closed).toEqual({ code: 1008, reason: 'Message rate limit exceeded' });
          // connections.ts: the limit answered, the next `limit` refused (GenericError), the one after that closes
          // the socket; the rest of the burst is never answered.
          expect(summary.results).toBe(summary.limit);
          expect(summary.refusedAsFlood).toBe(summary.limit);
          expect(summary.answered).toBe(summary.results + summary.refusedAsFlood);
        },
      },
    ),
    chargerProbe(
      `${BURST} MeterValues for another tenant's transaction in a burst`,
      get,
      flood((c, i) =>
        call(
          'MeterValues',
          {
            connectorId: 1,
            transactionId: Number(c.B.good.victim.transactionId),
            meterValue: [{ timestamp: nowIso(), sampledValue: [{ value: String(2_000 + i) }] }],
          },
          `flood-meter-${i}`,
        ),
      ),
      {
        status: 101,
        check: (result) => {
          const summary = JSON.parse(result.text) as {
            closed: unknown;
            limit: number;
            other: Record<string, number>;
            refusedAsFlood: number;
          };
          expect(summary.closed).toEqual({ code: 1008, reason: 'Message rate limit exceeded' });
          // Within the limit each reached the session service and was refused there; none was accepted.
          expect(summary.other.PropertyConstraintViolation).toBe(summary.limit);
          expect(summary.other.result).toBeUndefined();
          expect(summary.refusedAsFlood).toBe(summary.limit);
        },
      },
    ),
  ];
}

function commandProbes(get: () => ChargerFixtures): Probe[] {
  const body = (c: ChargerFixtures) =>
    JSON.stringify({
      chargePointId: c.A.good.chargePointId,
      command: { action: 'StopCharging', transactionId: c.A.good.victim.transactionId },
    });
  const post =
    (headers: (c: ChargerFixtures, body: string) => Promise<Record<string, string>>, bodyOf = body) =>
    async (c: ChargerFixtures) => {
      const text = bodyOf(c);
      return http(new URL(CHARGER_COMMAND_PATH, c.ocppUrl).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await headers(c, text)) },
        body: text,
      });
    };
  const signedAs =
    (identity: Identity, secret?: string, signedBody?: string) => async (c: ChargerFixtures, text: string) => ({
      [IDENTITY_HEADER]: await signIdentity(
        identity,
        'session',
        secret ?? c.p.stack.config.signingSecrets[0],
        signedBody ?? text,
      ),
    });
  const service: Identity = { role: Role.SERVICE, sub: 'session' };
  const UNAUTHENTICATED = { status: 401, code: 'UNAUTHENTICATED' };
  const probes: Array<[string, (c: ChargerFixtures) => Promise<HttpResult>, Expectation]> = [
    ['POST /commands without a signature', post(async () => ({})), UNAUTHENTICATED],
    [
      'POST /commands with a garbage signature',
      post(async () => ({ [IDENTITY_HEADER]: 'garbage.garbage.garbage' })),
      UNAUTHENTICATED,
    ],
    [
      'POST /commands signed with a key the platform does not have',
      post(signedAs(service, 'not-the-platform-signing-secret-0123456789')),
      UNAUTHENTICATED,
    ],
    [
      'POST /commands signed for another body',
      post(signedAs(service, undefined, '{"chargePointId":"x"}')),
      UNAUTHENTICATED,
    ],
    [
      "POST /commands validly signed as a driver (a stolen key, not a service's identity)",
      post(async (c, text) =>
        signedAs({ role: Role.DRIVER, sub: c.A.good.victim.driver.sub }, undefined, text)(c, text),
      ),
      {
        status: 403,
        check: (result) => expect(result.body).toEqual({ error: { code: 'FORBIDDEN', message: expect.any(String) } }),
      },
    ],
  ];
  return probes.map(([name, act, expectation]) => chargerProbe(name, get, act, expectation));
}

/** The hostile-charger families, by name, over fixtures built by `buildChargerFixtures` (hence the getter). */
export const chargerProbes = (get: () => ChargerFixtures): Record<string, Probe[]> => ({
  'handshakes of hostile chargers': handshakeProbes(get),
  'connectors a charger does not have': connectorProbes(get),
  "another charger's transactions": transactionProbes(get),
  'implausible meter values': meterProbes(get),
  'malformed OCPP frames': malformedProbes(get),
  'message floods': floodProbes(get),
  "the OCPP process's command route": commandProbes(get),
});
