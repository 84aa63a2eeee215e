import type { RPCClient } from 'ocpp-rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChargerCommandClient, type ChargerCommand } from '../../platform/charger-commands.js';
import { IDENTITY_HEADER, IdentitySigner, Role, serviceIdentity, type Identity } from '../../platform/identity.js';
import { testConfig } from '../../test/support/config.js';
import { charger, closed, dropOcppDatabases, FakePlatform, startOcpp, until, type TestOcpp } from './support.js';

const platform = new FakePlatform();
const config = testConfig();
// The route timeout is the production default: a busy machine (the whole suite at once) takes more than 300 ms to
// pass an acknowledgement over the PostgreSQL bus, and a command to a charger held elsewhere then came back unavailable.
const settings = { OCPP_COMMAND_TIMEOUT_MS: '600', OCPP_ROUTE_TIMEOUT_MS: '1000' };
/** Two replicas of the OCPP process on one bus and one database. */
let a: TestOcpp;
let b: TestOcpp;
const open: RPCClient[] = [];

beforeAll(async () => {
  a = await startOcpp(platform, config, settings);
  b = await startOcpp(platform, config, settings);
});
afterAll(async () => {
  await Promise.all(open.map((client) => client.close()));
  await a.server.close();
  await b.server.close();
  await dropOcppDatabases(config);
});

const clientFor = (replica: TestOcpp) =>
  new ChargerCommandClient({
    caller: 'session',
    baseUrl: replica.url,
    signingSecret: config.signingSecrets[0],
    timeoutMs: 5_000,
  });

/** POST /commands signed as `identity`; the HTTP status and body. */
async function post(replica: TestOcpp, body: object, identity: Identity = serviceIdentity('session'), token?: string) {
  const text = JSON.stringify(body);
  const signature = token ?? new IdentitySigner('service:session', config.signingSecrets[0]).sign(identity, text);
  const response = await fetch(`${replica.url}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: signature },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, signature };
}

interface Received {
  action: string;
  params: unknown;
}

/** A charger that answers remote start/stop with `status` (or never, for 'silent') and records what it got. */
async function connect(
  replica: TestOcpp,
  id: string,
  protocol: 'ocpp1.6' | 'ocpp2.0.1',
  status: 'Accepted' | 'Rejected' | 'silent' = 'Accepted',
) {
  const known = platform.chargePoints.get(id) ?? platform.addChargePoint(id, 2);
  const client = charger(replica.wsUrl, id, known.password, protocol);
  const received: Received[] = [];
  for (const action of [
    'RemoteStartTransaction',
    'RemoteStopTransaction',
    'RequestStartTransaction',
    'RequestStopTransaction',
  ]) {
    client.handle(action, async ({ params }) => {
      received.push({ action, params });
      if (status === 'silent') await new Promise((resolve) => setTimeout(resolve, 2_000));
      return { status: status === 'silent' ? 'Accepted' : status };
    });
  }
  await client.connect();
  open.push(client);
  await until(() => replica.server.connections.get(id) !== undefined);
  return { client, received };
}

const start: ChargerCommand = { action: 'StartCharging', ocppConnectorId: 2, idTag: 'SESSION123', remoteStartId: 77 };

describe('commands on the replica holding the socket', () => {
  it('1.6: StartCharging → RemoteStartTransaction, StopCharging → RemoteStopTransaction (integer id)', async () => {
    const { received } = await connect(a, 'CMD16', 'ocpp1.6');
    expect(await clientFor(a).send('CMD16', start)).toEqual({ accepted: true, detail: 'Accepted' });
    expect(await clientFor(a).send('CMD16', { action: 'StopCharging', transactionId: '1234' })).toEqual({
      accepted: true,
      detail: 'Accepted',
    });
    expect(received).toEqual([
      { action: 'RemoteStartTransaction', params: { connectorId: 2, idTag: 'SESSION123' } },
      { action: 'RemoteStopTransaction', params: { transactionId: 1234 } },
    ]);
    // A connector the station does not have is never sent.
    expect(await clientFor(a).send('CMD16', { ...start, ocppConnectorId: 9 })).toMatchObject({ accepted: false });
    expect(received).toHaveLength(2);
  });

  it('2.0.1: RequestStartTransaction (EVSE, remoteStartId, Central token) and RequestStopTransaction', async () => {
    const { received } = await connect(a, 'CMD201', 'ocpp2.0.1', 'Rejected');
    expect(await clientFor(a).send('CMD201', start)).toEqual({ accepted: false, detail: 'Rejected' });
    expect(await clientFor(a).send('CMD201', { action: 'StopCharging', transactionId: 'tx-9' })).toEqual({
      accepted: false,
      detail: 'Rejected',
    });
    expect(received).toEqual([
      {
        action: 'RequestStartTransaction',
        params: { evseId: 2, remoteStartId: 77, idToken: { idToken: 'SESSION123', type: 'Central' } },
      },
      { action: 'RequestStopTransaction', params: { transactionId: 'tx-9' } },
    ]);
  });

  it('a charger that does not answer in time → 504 CHARGER_TIMEOUT', async () => {
    await connect(a, 'CMD-SILENT', 'ocpp1.6', 'silent');
    const answer = await post(a, { chargePointId: 'CMD-SILENT', command: start });
    expect(answer.status).toBe(504);
    expect(answer.body).toEqual({ error: { code: 'CHARGER_TIMEOUT', message: expect.any(String) } });
  });
});

describe('commands across replicas (bus)', () => {
  it('a command posted to another replica is executed by the one holding the socket', async () => {
    const { received } = await connect(b, 'CMD-REMOTE', 'ocpp2.0.1');
    expect(a.server.connections.get('CMD-REMOTE')).toBeUndefined();
    expect(await clientFor(a).send('CMD-REMOTE', start)).toEqual({ accepted: true, detail: 'Accepted' });
    expect(received.map((entry) => entry.action)).toEqual(['RequestStartTransaction']);
  });

  it('nobody holds the charger → 409 CHARGER_UNAVAILABLE (quickly)', async () => {
    const started = performance.now();
    const answer = await post(a, { chargePointId: 'CMD-NOWHERE', command: start });
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ error: { code: 'CHARGER_UNAVAILABLE', message: expect.any(String) } });
    expect(performance.now() - started).toBeLessThan(2_000);
    await expect(clientFor(b).send('CMD-NOWHERE', start)).rejects.toMatchObject({
      extensions: { code: 'CHARGER_UNAVAILABLE' },
    });
  });

  it('the holder times out → 504 CHARGER_TIMEOUT through the other replica', async () => {
    await connect(b, 'CMD-REMOTE-SILENT', 'ocpp1.6', 'silent');
    const answer = await post(a, { chargePointId: 'CMD-REMOTE-SILENT', command: start });
    expect(answer.status).toBe(504);
    expect(answer.body).toMatchObject({ error: { code: 'CHARGER_TIMEOUT' } });
  });

  it('Disconnect through another replica closes the socket and reports the charger disconnected', async () => {
    const { client } = await connect(b, 'CMD-DISCONNECT', 'ocpp1.6');
    const whenClosed = closed(client);
    expect(await clientFor(a).send('CMD-DISCONNECT', { action: 'Disconnect', reason: 'Password rotated' })).toEqual({
      accepted: true,
      detail: 'Disconnected',
    });
    expect(await whenClosed).toEqual({ code: 1000, reason: 'Password rotated' });
    await until(() => platform.presenceOf('CMD-DISCONNECT').at(-1)?.connected === false);
  });

  it('a charger reconnecting to another replica: the old replica closes its stale socket (4000) silently', async () => {
    const first = await connect(a, 'CMD-MOVER', 'ocpp1.6');
    const firstClosed = closed(first.client);
    await connect(b, 'CMD-MOVER', 'ocpp1.6');
    expect((await firstClosed).code).toBe(4000);
    await until(() => a.server.connections.get('CMD-MOVER') === undefined);
    await a.server.presence.flush();
    await b.server.presence.flush();
    expect(platform.presenceOf('CMD-MOVER').every((report) => report.connected)).toBe(true);
    expect(await clientFor(a).send('CMD-MOVER', start)).toEqual({ accepted: true, detail: 'Accepted' });
  });
  it('a claim that arrives late (older than the socket it would close) leaves the newer socket open', async () => {
    const { client } = await connect(a, 'CMD-LATE-CLAIM', 'ocpp1.6');
    const connectedAt = a.server.connections.get('CMD-LATE-CLAIM')?.connectedAt ?? 0;
    await b.server.router.claim({ chargePointId: 'CMD-LATE-CLAIM', connectedAt: connectedAt - 1 });
    // The bus delivers in order: the command after the claim finds the socket still there.
    expect(await clientFor(b).send('CMD-LATE-CLAIM', start)).toEqual({ accepted: true, detail: 'Accepted' });
    expect(client.state).toBe(1);
    expect(a.server.connections.get('CMD-LATE-CLAIM')).toBeDefined();
  });
});

describe('POST /commands is for signed services only', () => {
  it('refuses unsigned, replayed, non-service and malformed requests', async () => {
    const body = { chargePointId: 'CMD16', command: start };
    const unsigned = await fetch(`${a.url}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(unsigned.status).toBe(401);
    const first = await post(a, { chargePointId: 'CMD-NOWHERE', command: start });
    expect(first.status).toBe(409);
    // The same signature again, to any replica: refused (the used-token table is in the shared database).
    expect((await post(b, { chargePointId: 'CMD-NOWHERE', command: start }, undefined, first.signature)).status).toBe(
      401,
    );
    expect((await post(a, body, { role: Role.DRIVER, sub: 'driver-1' })).status).toBe(403);
    const malformed = await post(a, { chargePointId: 'CMD16', command: { action: 'Explode' } });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });
});
