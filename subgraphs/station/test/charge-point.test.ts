import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChargerCommandRequest } from '../../../platform/charger-commands.js';
import { IDENTITY_HEADER, IdentityVerifier, Role, type Identity } from '../../../platform/identity.js';
import { DEV_SUBGRAPH_SECRET } from '../../../platform/config.js';
import { ChargePoint } from '../charge-point/charge-point.entity.js';
import {
  REGISTER_CHARGE_POINT,
  REPORT_PRESENCE,
  UNKNOWN_ID,
  adminOf,
  connectorsOf,
  createOperator,
  createStation,
  createTariff,
  dataOf,
  driver,
  errorCode,
  platformAdmin,
  registerChargePoint,
  rowCounts,
  service,
  startHarness,
  statementsDuring,
  type Harness,
} from './harness.js';

/** Stands in for the OCPP process's POST /commands: records what arrives, answers as told. */
interface FakeOcpp {
  url: string;
  received: Array<{ body: ChargerCommandRequest; identity: Identity }>;
  answer: { status: number; body: unknown };
  close(): Promise<void>;
}

async function startFakeOcpp(): Promise<FakeOcpp> {
  const verifier = new IdentityVerifier([DEV_SUBGRAPH_SECRET]);
  const fake: Omit<FakeOcpp, 'url' | 'close'> = { received: [], answer: { status: 200, body: { accepted: true } } };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const token = req.headers[IDENTITY_HEADER];
      const identity = typeof token === 'string' ? verifier.verify(token).identity : {};
      if (req.method === 'POST' && req.url === '/commands')
        fake.received.push({ body: JSON.parse(raw) as ChargerCommandRequest, identity });
      res.writeHead(fake.answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(fake.answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

let h: Harness;
let ocpp: FakeOcpp;
let operatorId: string;
let tariffId: string;
let otherOperatorId: string;
let otherTariffId: string;
let counter = 0;
const nextId = () => `CP-${Date.now().toString(36)}-${++counter}`;

beforeAll(async () => {
  ocpp = await startFakeOcpp();
  h = await startHarness({ OCPP_URL: ocpp.url });
  operatorId = await createOperator(h, 'Voltia');
  tariffId = await createTariff(h, operatorId);
  otherOperatorId = await createOperator(h, 'Rival');
  otherTariffId = await createTariff(h, otherOperatorId);
});
afterAll(async () => {
  await h.destroy();
  await ocpp.close();
});
beforeEach(() => {
  ocpp.received.length = 0;
  ocpp.answer = { status: 200, body: { accepted: true } };
});

const LOGIN = `query ($id: String!, $password: String!) {
  chargePointLogin(chargePointId: $id, password: $password) {
    id chargePointId stationId operatorId connectors { ocppConnectorId connectorId powerKw }
  }
}`;
const login = (chargePointId: string, password: string, identity: Identity = service) =>
  h.station.run<{ chargePointLogin: Record<string, unknown> | null }>(LOGIN, { id: chargePointId, password }, identity);
const ROTATE = `mutation ($id: ID!) { rotateChargePointPassword(id: $id) { chargePoint { id chargePointId } password } }`;
const REMOVE = `mutation ($id: ID!) { removeChargePoint(id: $id) }`;
const CHARGE_POINTS = `query ($id: ID!) { station(id: $id) { chargePoints { id chargePointId protocol connected lastSeenAt firmwareVersion vendor model } } }`;

const storedChargePoint = (chargePointId: string) => h.station.orm.em.fork().findOne(ChargePoint, { chargePointId });

describe('registerChargePoint', () => {
  it("lets the operator's own admin register the station's charge point; the password is shown once, stored hashed", async () => {
    const station = await createStation(h, operatorId, tariffId);
    const before = await rowCounts(h);
    const chargePointId = nextId();
    const result = await h.station.run<{
      registerChargePoint: { chargePoint: Record<string, unknown>; password: string };
    }>(REGISTER_CHARGE_POINT, { input: { stationId: station.id, chargePointId } }, adminOf(operatorId));
    const { chargePoint, password } = dataOf(result).registerChargePoint;
    expect(chargePoint).toEqual({
      id: expect.any(String),
      chargePointId,
      protocol: null,
      connected: false,
      lastSeenAt: null,
      firmwareVersion: null,
      vendor: null,
      model: null,
    });
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await rowCounts(h)).toEqual({ ...before, chargePoints: before.chargePoints + 1 });

    const row = await storedChargePoint(chargePointId);
    expect(row?.passwordHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.passwordSalt).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(row)).not.toContain(password);
    // From now on the charger reports the statuses; until it connects, its connectors are OFFLINE.
    expect(await connectorsOf(h, station.id)).toEqual([
      { id: station.connectors[0].id, ocppConnectorId: 1, status: 'OFFLINE', statusSource: 'CHARGER' },
      { id: station.connectors[1].id, ocppConnectorId: 2, status: 'OFFLINE', statusSource: 'CHARGER' },
    ]);
  });

  it('lets a platform admin register one too', async () => {
    const station = await createStation(h, otherOperatorId, otherTariffId);
    const result = await h.station.run(
      REGISTER_CHARGE_POINT,
      { input: { stationId: station.id, chargePointId: nextId() } },
      platformAdmin,
    );
    expect(result.errors).toBeUndefined();
  });

  it.each([
    ["another operator's admin", () => adminOf(otherOperatorId), 'FORBIDDEN'],
    ['a driver', () => driver, 'FORBIDDEN'],
    ['an analyst', () => ({ role: Role.ANALYST, sub: 'analyst' }), 'FORBIDDEN'],
    ['an anonymous caller', () => ({}), 'UNAUTHENTICATED'],
  ])('refuses %s and writes nothing', async (_who, identity, code) => {
    const station = await createStation(h, operatorId, tariffId);
    const before = await rowCounts(h);
    const result = await h.station.run(
      REGISTER_CHARGE_POINT,
      { input: { stationId: station.id, chargePointId: nextId() } },
      identity(),
    );
    expect(result.data).toBeNull();
    expect(errorCode(result)).toBe(code);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('answers NOT_FOUND for an unknown station', async () => {
    const result = await h.station.run(
      REGISTER_CHARGE_POINT,
      { input: { stationId: UNKNOWN_ID, chargePointId: nextId() } },
      platformAdmin,
    );
    expect(errorCode(result)).toBe('NOT_FOUND');
  });

  it.each([
    ['an empty id', ''],
    ['an id of 49 characters', 'A'.repeat(49)],
    ['a space', 'CP 1'],
    ['a slash', 'CP/1'],
    ['a non-ASCII letter', 'Ladesäule-1'],
    ['a NUL character', 'CP\u00001'],
  ])('rejects %s with BAD_USER_INPUT and writes nothing', async (_case, chargePointId) => {
    const station = await createStation(h, operatorId, tariffId);
    const before = await rowCounts(h);
    const result = await h.station.run(
      REGISTER_CHARGE_POINT,
      { input: { stationId: station.id, chargePointId } },
      adminOf(operatorId),
    );
    expect(errorCode(result)).toBe('BAD_USER_INPUT');
    expect(result.errors?.[0].message).toContain('chargePointId must be 1 to 48 characters');
    expect(await rowCounts(h)).toEqual(before);
  });

  it('accepts every allowed character, 48 of them', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const chargePointId = `aZ09._:-${'x'.repeat(34)}${Date.now().toString(36)}`.slice(0, 48);
    expect(chargePointId).toHaveLength(48);
    const registered = await registerChargePoint(h, operatorId, station.id, chargePointId);
    expect(registered.chargePoint.chargePointId).toBe(chargePointId);
  });

  it('refuses an id registered anywhere else, and a second charge point at a station (CONFLICT)', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const taken = nextId();
    await registerChargePoint(h, operatorId, station.id, taken);
    const elsewhere = await createStation(h, otherOperatorId, otherTariffId);
    const before = await rowCounts(h);

    const sameId = await h.station.run(
      REGISTER_CHARGE_POINT,
      { input: { stationId: elsewhere.id, chargePointId: taken } },
      adminOf(otherOperatorId),
    );
    expect(sameId.errors?.[0]).toMatchObject({
      message: `Charge point id ${taken} is already registered.`,
      extensions: { code: 'CONFLICT', field: 'chargePointId' },
    });
    const second = await h.station.run(
      REGISTER_CHARGE_POINT,
      { input: { stationId: station.id, chargePointId: nextId() } },
      adminOf(operatorId),
    );
    expect(errorCode(second)).toBe('CONFLICT');
    expect(second.errors?.[0].message).toMatch(/already has charge point .* remove it/);
    expect(await rowCounts(h)).toEqual(before);
  });
});

describe('Station.chargePoints', () => {
  it("shows the charge points to the operator's admins, platform admins and services; null to everyone else", async () => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint } = await registerChargePoint(h, operatorId, station.id, nextId());
    const expected = [expect.objectContaining({ id: chargePoint.id, chargePointId: chargePoint.chargePointId })];
    for (const identity of [adminOf(operatorId), platformAdmin, service]) {
      const result = await h.station.run<{ station: { chargePoints: unknown } }>(
        CHARGE_POINTS,
        { id: station.id },
        identity,
      );
      expect(dataOf(result).station.chargePoints).toEqual(expected);
    }
    for (const identity of [adminOf(otherOperatorId), driver, {}]) {
      const result = await h.station.run(CHARGE_POINTS, { id: station.id }, identity);
      expect(dataOf(result)).toEqual({ station: { chargePoints: null } });
    }
    const without = await createStation(h, operatorId, tariffId);
    const empty = await h.station.run(CHARGE_POINTS, { id: without.id }, adminOf(operatorId));
    expect(dataOf(empty)).toEqual({ station: { chargePoints: [] } });
  });
});

describe('chargePointLogin (service-only)', () => {
  it('answers the charge point, its station, operator and connectors in OCPP order for the right password', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint, password } = await registerChargePoint(h, operatorId, station.id, nextId());
    const result = await login(chargePoint.chargePointId, password);
    expect(dataOf(result).chargePointLogin).toEqual({
      id: chargePoint.id,
      chargePointId: chargePoint.chargePointId,
      stationId: station.id,
      operatorId,
      connectors: [
        { ocppConnectorId: 1, connectorId: station.connectors[0].id, powerKw: 150 },
        { ocppConnectorId: 2, connectorId: station.connectors[1].id, powerKw: 22 },
      ],
    });
  });

  it('answers null for a wrong password, another charge point’s password, an unknown or malformed id', async () => {
    const a = await registerChargePoint(h, operatorId, (await createStation(h, operatorId, tariffId)).id, nextId());
    const b = await registerChargePoint(h, operatorId, (await createStation(h, operatorId, tariffId)).id, nextId());
    for (const [id, password] of [
      [a.chargePoint.chargePointId, `${a.password.slice(0, -1)}${a.password.endsWith('x') ? 'y' : 'x'}`],
      [a.chargePoint.chargePointId, ''],
      [a.chargePoint.chargePointId, b.password],
      [a.chargePoint.chargePointId.toLowerCase(), a.password],
      ['no-such-charger', a.password],
      ['bad id/../x', a.password],
    ]) {
      expect(dataOf(await login(id, password)).chargePointLogin).toBeNull();
    }
  });

  it.each([
    ['a driver', driver],
    ["the operator's admin", adminOf(UNKNOWN_ID)],
    ['a platform admin', platformAdmin],
    ['an anonymous caller', {}],
  ])('is FORBIDDEN for %s', async (_who, identity) => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint, password } = await registerChargePoint(h, operatorId, station.id, nextId());
    const result = await login(chargePoint.chargePointId, password, identity);
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect(result.data).toEqual({ chargePointLogin: null });
  });
});

describe('rotateChargePointPassword', () => {
  it('replaces the password (the old one stops working) and disconnects the charger, signed as the station service', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint, password: old } = await registerChargePoint(h, operatorId, station.id, nextId());
    const result = await h.station.run<{
      rotateChargePointPassword: { chargePoint: { id: string }; password: string };
    }>(ROTATE, { id: chargePoint.id }, adminOf(operatorId));
    const rotated = dataOf(result).rotateChargePointPassword;
    expect(rotated.chargePoint.id).toBe(chargePoint.id);
    expect(rotated.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(rotated.password).not.toBe(old);
    expect(dataOf(await login(chargePoint.chargePointId, old)).chargePointLogin).toBeNull();
    expect(dataOf(await login(chargePoint.chargePointId, rotated.password)).chargePointLogin).not.toBeNull();
    expect(ocpp.received).toEqual([
      {
        body: {
          chargePointId: chargePoint.chargePointId,
          command: { action: 'Disconnect', reason: 'password rotated' },
        },
        identity: { role: Role.SERVICE, sub: 'station' },
      },
    ]);
  });

  it.each([
    [
      'not connected (CHARGER_UNAVAILABLE)',
      { status: 409, body: { error: { code: 'CHARGER_UNAVAILABLE', message: 'x' } } },
    ],
    ['slow (CHARGER_TIMEOUT)', { status: 504, body: { error: { code: 'CHARGER_TIMEOUT', message: 'x' } } }],
    ['broken (500)', { status: 500, body: {} }],
  ])('still rotates when the charger is %s', async (_case, answer) => {
    ocpp.answer = answer;
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint } = await registerChargePoint(h, operatorId, station.id, nextId());
    const result = await h.station.run<{ rotateChargePointPassword: { password: string } }>(
      ROTATE,
      { id: chargePoint.id },
      platformAdmin,
    );
    const { password } = dataOf(result).rotateChargePointPassword;
    expect(ocpp.received).toHaveLength(1);
    expect(dataOf(await login(chargePoint.chargePointId, password)).chargePointLogin).not.toBeNull();
  });

  it('refuses another operator’s admin and drivers (the password stays), unknown ids NOT_FOUND', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint, password } = await registerChargePoint(h, operatorId, station.id, nextId());
    expect(errorCode(await h.station.run(ROTATE, { id: chargePoint.id }, adminOf(otherOperatorId)))).toBe('FORBIDDEN');
    expect(errorCode(await h.station.run(ROTATE, { id: chargePoint.id }, driver))).toBe('FORBIDDEN');
    expect(errorCode(await h.station.run(ROTATE, { id: UNKNOWN_ID }, platformAdmin))).toBe('NOT_FOUND');
    expect(errorCode(await h.station.run(ROTATE, { id: 'not-a-uuid' }, platformAdmin))).toBe('NOT_FOUND');
    expect(dataOf(await login(chargePoint.chargePointId, password)).chargePointLogin).not.toBeNull();
    expect(ocpp.received).toEqual([]);
  });
});

describe('removeChargePoint', () => {
  it('removes it, disconnects the charger, and the station is managed by hand again', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint, password } = await registerChargePoint(h, operatorId, station.id, nextId());
    const result = await h.station.run(REMOVE, { id: chargePoint.id }, adminOf(operatorId));
    expect(dataOf(result)).toEqual({ removeChargePoint: chargePoint.id });
    expect(await storedChargePoint(chargePoint.chargePointId)).toBeNull();
    expect(dataOf(await login(chargePoint.chargePointId, password)).chargePointLogin).toBeNull();
    expect(ocpp.received.map((r) => r.body)).toEqual([
      { chargePointId: chargePoint.chargePointId, command: { action: 'Disconnect', reason: 'charge point removed' } },
    ]);
    expect((await connectorsOf(h, station.id)).map((c) => [c.status, c.statusSource])).toEqual([
      ['AVAILABLE', 'MANUAL'],
      ['AVAILABLE', 'MANUAL'],
    ]);
    // Its id is free again.
    await registerChargePoint(h, operatorId, station.id, chargePoint.chargePointId);
  });

  it('still removes it when the OCPP process cannot be reached at all', async () => {
    const offline = await startHarness({ OCPP_URL: 'http://127.0.0.1:9' });
    try {
      const op = await createOperator(offline);
      const station = await createStation(offline, op, await createTariff(offline, op));
      const { chargePoint } = await registerChargePoint(offline, op, station.id, nextId());
      const result = await offline.station.run(REMOVE, { id: chargePoint.id }, adminOf(op));
      expect(dataOf(result)).toEqual({ removeChargePoint: chargePoint.id });
    } finally {
      await offline.destroy();
    }
  });

  it('refuses another operator’s admin and drivers, and writes nothing', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const { chargePoint } = await registerChargePoint(h, operatorId, station.id, nextId());
    const before = await rowCounts(h);
    expect(errorCode(await h.station.run(REMOVE, { id: chargePoint.id }, adminOf(otherOperatorId)))).toBe('FORBIDDEN');
    expect(errorCode(await h.station.run(REMOVE, { id: chargePoint.id }, driver))).toBe('FORBIDDEN');
    expect(errorCode(await h.station.run(REMOVE, { id: UNKNOWN_ID }, adminOf(operatorId)))).toBe('NOT_FOUND');
    expect(await rowCounts(h)).toEqual(before);
    expect(ocpp.received).toEqual([]);
  });
});

describe('reportChargePointPresence (service-only)', () => {
  const report = (chargePointId: string, override: Record<string, unknown> = {}) => ({
    chargePointId,
    connected: true,
    lastSeenAt: new Date().toISOString(),
    offlineAfter: new Date(Date.now() + 60_000).toISOString(),
    ...override,
  });

  it('applies a whole batch in one statement, ignores unknown ids, and counts what applied', async () => {
    const online = await createStation(h, operatorId, tariffId);
    const overdue = await createStation(h, operatorId, tariffId);
    const gone = await createStation(h, operatorId, tariffId);
    const a = (await registerChargePoint(h, operatorId, online.id, nextId())).chargePoint.chargePointId;
    const b = (await registerChargePoint(h, operatorId, overdue.id, nextId())).chargePoint.chargePointId;
    const c = (await registerChargePoint(h, operatorId, gone.id, nextId())).chargePoint.chargePointId;
    const lastSeenAt = new Date(Date.now() - 1000).toISOString();
    const reports = [
      report(a, { protocol: 'OCPP201', lastSeenAt, firmwareVersion: '1.2.3', vendor: 'Acme', model: 'Wallbox 22' }),
      // Connected, but its heartbeats are overdue: offline all the same.
      report(b, { protocol: 'OCPP16', offlineAfter: new Date(Date.now() - 1).toISOString() }),
      report(c, { connected: false }),
      report('never-registered'),
    ];
    let applied: unknown;
    const statements = await statementsDuring(h, async () => {
      applied = dataOf(await h.station.run(REPORT_PRESENCE, { reports }, service));
    });
    expect(applied).toEqual({ reportChargePointPresence: 3 });
    expect(statements.filter((sql) => /charge_point/.test(sql))).toHaveLength(1);

    const seen = await h.station.run<{ station: { chargePoints: Array<Record<string, unknown>> } }>(
      CHARGE_POINTS,
      { id: online.id },
      adminOf(operatorId),
    );
    expect(dataOf(seen).station.chargePoints).toEqual([
      expect.objectContaining({
        connected: true,
        protocol: 'OCPP201',
        lastSeenAt: new Date(lastSeenAt).toISOString(),
        firmwareVersion: '1.2.3',
        vendor: 'Acme',
        model: 'Wallbox 22',
      }),
    ]);
    for (const [station, connected] of [
      [overdue, false],
      [gone, false],
    ] as const) {
      const other = await h.station.run<{ station: { chargePoints: Array<{ connected: boolean }> } }>(
        CHARGE_POINTS,
        { id: station.id },
        adminOf(operatorId),
      );
      expect(dataOf(other).station.chargePoints[0].connected).toBe(connected);
    }
    expect((await connectorsOf(h, online.id)).map((x) => x.status)).toEqual(['AVAILABLE', 'AVAILABLE']);
    expect((await connectorsOf(h, overdue.id)).map((x) => x.status)).toEqual(['OFFLINE', 'OFFLINE']);
    expect((await connectorsOf(h, gone.id)).map((x) => x.status)).toEqual(['OFFLINE', 'OFFLINE']);
  });

  it('ignores a report older than the stored one, and keeps boot information a report leaves out', async () => {
    const station = await createStation(h, operatorId, tariffId);
    const id = (await registerChargePoint(h, operatorId, station.id, nextId())).chargePoint.chargePointId;
    const now = Date.now();
    const first = report(id, { firmwareVersion: '2.0', lastSeenAt: new Date(now).toISOString() });
    expect(dataOf(await h.station.run(REPORT_PRESENCE, { reports: [first] }, service))).toEqual({
      reportChargePointPresence: 1,
    });
    // A late "disconnected" from the replica the charger left.
    const late = report(id, { connected: false, lastSeenAt: new Date(now - 5000).toISOString() });
    expect(dataOf(await h.station.run(REPORT_PRESENCE, { reports: [late] }, service))).toEqual({
      reportChargePointPresence: 0,
    });
    // Two reports of one charger in a batch: the newest wins.
    const batch = [
      report(id, { lastSeenAt: new Date(now + 2000).toISOString() }),
      report(id, { connected: false, lastSeenAt: new Date(now + 1000).toISOString() }),
    ];
    expect(dataOf(await h.station.run(REPORT_PRESENCE, { reports: batch }, service))).toEqual({
      reportChargePointPresence: 1,
    });
    const row = await storedChargePoint(id);
    expect(row).toMatchObject({ connected: true, firmwareVersion: '2.0', lastSeenAt: new Date(now + 2000) });
  });

  it('rejects malformed reports and oversized batches with BAD_USER_INPUT', async () => {
    const tooLong = await h.station.run(
      REPORT_PRESENCE,
      { reports: [report('cp-x', { firmwareVersion: 'v'.repeat(51) })] },
      service,
    );
    expect(errorCode(tooLong)).toBe('BAD_USER_INPUT');
    const badId = await h.station.run(REPORT_PRESENCE, { reports: [report('bad id')] }, service);
    expect(errorCode(badId)).toBe('BAD_USER_INPUT');
    const tooMany = await h.station.run(
      REPORT_PRESENCE,
      { reports: Array.from({ length: 5001 }, (_, i) => report(`cp-${i}`)) },
      service,
    );
    expect(errorCode(tooMany)).toBe('BAD_USER_INPUT');
    expect(dataOf(await h.station.run(REPORT_PRESENCE, { reports: [] }, service))).toEqual({
      reportChargePointPresence: 0,
    });
  });

  it.each([
    ['a driver', driver],
    ['an operator admin', adminOf(UNKNOWN_ID)],
    ['a platform admin', platformAdmin],
  ])('is FORBIDDEN for %s and writes nothing', async (_who, identity) => {
    const station = await createStation(h, operatorId, tariffId);
    const id = (await registerChargePoint(h, operatorId, station.id, nextId())).chargePoint.chargePointId;
    const result = await h.station.run(REPORT_PRESENCE, { reports: [report(id)] }, identity);
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect((await storedChargePoint(id))?.connected).toBe(false);
  });
});
