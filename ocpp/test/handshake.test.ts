import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  charger,
  closed,
  dropOcppDatabases,
  FakePlatform,
  refusedWith,
  startOcpp,
  upgrade as upgradeAt,
  type TestOcpp,
} from './support.js';

const platform = new FakePlatform();
let ocpp: TestOcpp;

beforeAll(async () => {
  ocpp = await startOcpp(platform);
});
afterAll(async () => {
  await ocpp.server.close();
  await dropOcppDatabases(ocpp.config);
});

const upgrade = (path: string, headers: Record<string, string> = {}) => upgradeAt(ocpp.url, path, headers);

describe('handshake', () => {
  it('accepts a registered charge point with its password, in either protocol', async () => {
    const { chargePointId, password } = platform.addChargePoint('CP-OK');
    for (const protocol of ['ocpp1.6', 'ocpp2.0.1'] as const) {
      const client = charger(ocpp.wsUrl, chargePointId, password, protocol);
      await client.connect();
      expect(client.protocol).toBe(protocol);
      expect(ocpp.server.connections.get(chargePointId)?.protocol).toBe(protocol);
      await client.close();
    }
  });

  it('refuses an unknown id, a wrong password and no credentials with 401', async () => {
    const { chargePointId, password } = platform.addChargePoint('CP-AUTH');
    expect(await refusedWith(charger(ocpp.wsUrl, 'CP-NOBODY', password, 'ocpp1.6').connect())).toBe(401);
    expect(await refusedWith(charger(ocpp.wsUrl, chargePointId, 'wrong-password', 'ocpp1.6').connect())).toBe(401);
    expect(await refusedWith(charger(ocpp.wsUrl, chargePointId, null, 'ocpp1.6').connect())).toBe(401);
    expect(ocpp.server.connections.get(chargePointId)).toBeUndefined();
  });

  it('refuses a Basic user that is not the charge point id of the URL with 401', async () => {
    const victim = platform.addChargePoint('CP-VICTIM');
    const attacker = platform.addChargePoint('CP-ATTACKER');
    // The attacker's valid credentials, presented on the victim's URL.
    const authorization = basicAuth(attacker.chargePointId, attacker.password);
    expect(await upgrade(`/ocpp/${victim.chargePointId}`, { authorization })).toBe(401);
    // The victim's credentials are refused on another URL too, and work on its own.
    const own = basicAuth(victim.chargePointId, victim.password);
    expect(await upgrade(`/ocpp/${attacker.chargePointId}`, { authorization: own })).toBe(401);
    expect(await upgrade(`/ocpp/${victim.chargePointId}`, { authorization: own })).toBe(101);
  });

  it('refuses WebSockets on other paths and unsupported subprotocols', async () => {
    const { chargePointId, password } = platform.addChargePoint('CP-PATH');
    const authorization = basicAuth(chargePointId, password);
    expect(await upgrade(`/other/${chargePointId}`, { authorization })).toBe(404);
    expect(await upgrade(`/ocpp/x/${chargePointId}`, { authorization })).toBe(404);
    expect(await upgrade(`/${chargePointId}`, { authorization })).toBe(404);
    expect(await upgrade(`/ocpp/${chargePointId}`, { authorization, 'sec-websocket-protocol': 'ocpp1.5' })).toBe(400);
  });

  it('refuses an address with too many failed logins (429) without asking the station service', async () => {
    const guarded = new FakePlatform();
    const { chargePointId, password } = guarded.addChargePoint('CP-GUESSED');
    const strict = await startOcpp(guarded, undefined, { OCPP_LOGIN_FAILURES_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++)
        expect(await refusedWith(charger(strict.wsUrl, chargePointId, `guess-${i}`, 'ocpp1.6').connect())).toBe(401);
      expect(guarded.logins).toBe(3);
      // Even the right password now: refused before the station service is asked.
      expect(await refusedWith(charger(strict.wsUrl, chargePointId, password, 'ocpp1.6').connect())).toBe(429);
      expect(guarded.logins).toBe(3);
    } finally {
      await strict.server.close();
      await dropOcppDatabases(strict.config);
    }
  });

  it('serves health and metrics', async () => {
    expect((await fetch(`${ocpp.url}/health/live`)).status).toBe(200);
    const ready = await fetch(`${ocpp.url}/health/ready`);
    expect(ready.status).toBe(200);
    const metrics = await (await fetch(`${ocpp.url}/metrics`)).text();
    expect(metrics).toContain('chargegraph_ocpp_connected_chargers');
    expect(metrics).toMatch(/chargegraph_ocpp_handshakes_total\{outcome="unauthorized"\} [1-9]/);
  });

  it('replaces an older connection of the same charge point (closed 4000, not reported disconnected)', async () => {
    const { chargePointId, password } = platform.addChargePoint('CP-TWICE');
    const first = charger(ocpp.wsUrl, chargePointId, password, 'ocpp1.6');
    await first.connect();
    const firstClosed = closed(first);
    const second = charger(ocpp.wsUrl, chargePointId, password, 'ocpp1.6');
    await second.connect();
    expect((await firstClosed).code).toBe(4000);
    await ocpp.server.presence.flush();
    expect(platform.presenceOf(chargePointId).every((report) => report.connected)).toBe(true);
    expect(ocpp.server.connections.get(chargePointId)?.client).toBeDefined();
    const secondClosed = closed(second);
    await second.close();
    await secondClosed;
    await ocpp.server.presence.flush();
    expect(platform.presenceOf(chargePointId).at(-1)?.connected).toBe(false);
  });
});
