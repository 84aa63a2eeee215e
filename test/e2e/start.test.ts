import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busDatabaseUrl } from '../../platform/bus.js';
import { SUBGRAPH_NAMES } from '../../platform/config.js';
import { databaseUrl, dropDatabase } from '../../platform/database-admin.js';
import { testConfig } from '../support/config.js';
import { freePort } from '../support/ports.js';

interface Started {
  child: ChildProcess;
  output: () => string;
}

/**
 * `npm start` as a user runs it (here on the test PostgreSQL and free ports): seeds, starts a simulated charger per
 * demo station, runs a paid journey through one, serves, and comes up again after being killed with a session
 * still ACTIVE on a connector.
 */
describe('npm start', () => {
  const config = testConfig();
  let env: NodeJS.ProcessEnv;
  let gatewayUrl = '';
  let child: ChildProcess | undefined;
  let stale: { sessionId: string; stationId: string; connectorId: string } | undefined;

  beforeAll(async () => {
    const names = ['GATEWAY', 'OCPP', ...SUBGRAPH_NAMES.map((n) => n.toUpperCase())];
    const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await freePort()])));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cg-start-'));
    gatewayUrl = `http://127.0.0.1:${ports.GATEWAY}/graphql`;
    env = {
      ...process.env,
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_PREFIX: config.DATABASE_PREFIX,
      GATEWAY_PORT: String(ports.GATEWAY),
      OCPP_PORT: String(ports.OCPP),
      OCPP_URL: `http://127.0.0.1:${ports.OCPP}`,
      STRIPE_EMULATOR_PORT: String(await freePort()),
      STRIPE_EMULATOR_DATA_FILE: path.join(dataDir, 'stripe.json'),
      CHARGER_STATE_DIR: path.join(dataDir, 'chargers'),
      ...Object.fromEntries(
        SUBGRAPH_NAMES.flatMap((n) => {
          const key = n.toUpperCase();
          return [
            [`${key}_PORT`, String(ports[key])],
            [`${key}_URL`, `http://127.0.0.1:${ports[key]}/graphql`],
          ];
        }),
      ),
    };
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.all([
      ...SUBGRAPH_NAMES.map((name) => dropDatabase(databaseUrl(config, name))),
      dropDatabase(busDatabaseUrl(config)),
    ]);
  });

  async function start(): Promise<Started> {
    const started = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    started.stdout!.on('data', (chunk) => (output += chunk));
    started.stderr!.on('data', (chunk) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 150_000);
      started.stdout!.on('data', () => output.includes('ready in') && (clearTimeout(timer), resolve()));
      started.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    return { child: started, output: () => output };
  }

  async function call<T>(token: string | undefined, query: string, variables: Record<string, unknown> = {}) {
    const response = await fetch(gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (body.errors?.length || !body.data) throw new Error(JSON.stringify(body.errors));
    return body.data;
  }

  it(
    'starts the platform and its chargers, runs a paid journey through a charger, serves, then dies with a session ACTIVE',
    {
      timeout: 240_000,
    },
    async () => {
      const { child: first, output } = await start();
      expect(output()).toMatch(/seeded demo data: 4 operators/);
      expect(output()).toMatch(/LOCAL STRIPE EMULATOR/);
      expect(output()).toMatch(/24 simulated chargers connected to ws:\/\/\S+ \(12 OCPP 1\.6, 12 OCPP 2\.0\.1\)/);
      expect(output()).toMatch(
        /example journey: a driver charged \d+(\.\d+)? kWh at "Berlin [^"]+" through charger SIM-\w+ \(ocpp(1\.6|2\.0\.1)\) \(hold 5000 → charged [1-9]\d* EUR minor units, payment SUCCEEDED\)/,
      );
      expect(output()).toMatch(
        /the money landed on the operator's own account acct_\w+: available balance [1-9]\d* EUR/,
      );
      expect(output()).toMatch(/the platform took 0/);
      for (const role of ['PLATFORM_ADMIN', 'OPERATOR_ADMIN', 'DRIVER', 'ANALYST', 'PARTNER'])
        expect(output()).toMatch(new RegExp(`${role}\\s+eyJ`));

      const { stations } = await call<{
        stations: {
          edges: Array<{ node: { name: string; operator: { name: string }; tariff: { currency: string } } }>;
        };
      }>(undefined, '{ stations(first: 5) { edges { node { name operator { name } tariff { currency } } } } }');
      expect(stations.edges).toHaveLength(5);
      for (const { node } of stations.edges) {
        expect(node.operator.name).toBeTruthy();
        expect(node.tariff.currency).toMatch(/^[A-Z]{3}$/);
      }

      // A driver (the printed DRIVER token) starts charging through the app and the process is then killed.
      const driver = /DRIVER\s+(eyJ\S+)/.exec(output())![1];
      await call(driver, `mutation { savePaymentMethod(paymentMethodId: "pm_card_visa") { id } }`);
      const free = await call<{
        stations: { edges: Array<{ node: { id: string; connectors: Array<{ id: string; status: string }> } }> };
      }>(
        driver,
        `{ stations(filter: { availableOnly: true }, first: 1) { edges { node { id connectors { id status } } } } }`,
      );
      const station = free.stations.edges[0].node;
      const connector = station.connectors.find((c) => c.status === 'AVAILABLE')!;
      const { startChargingSession } = await call<{ startChargingSession: { id: string } }>(
        driver,
        `mutation ($input: StartChargingSessionInput!) { startChargingSession(input: $input) { id } }`,
        { input: { stationId: station.id, connectorId: connector.id } },
      );
      stale = { sessionId: startChargingSession.id, stationId: station.id, connectorId: connector.id };
      const deadline = Date.now() + 20_000;
      for (;;) {
        const { chargingSession } = await call<{ chargingSession: { status: string; energyWh: number } }>(
          driver,
          `query ($id: ID!) { chargingSession(id: $id) { status energyWh } }`,
          { id: stale.sessionId },
        );
        if (chargingSession.status === 'ACTIVE' && chargingSession.energyWh > 0) break;
        if (Date.now() > deadline) throw new Error(`session not ACTIVE with energy in time: ${chargingSession.status}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      first.kill('SIGKILL');
      await once(first, 'exit');
    },
  );

  it(
    'comes up again on the same data; the charger ends the session the kill left ACTIVE and it is billed',
    {
      timeout: 240_000,
    },
    async () => {
      expect(stale).toBeDefined();
      const { child: second, output } = await start();
      expect(output()).toMatch(/demo data already present/);
      expect(output()).toMatch(/24 simulated chargers connected/);
      // The journey ran at a free connector, or said in one line why it could not.
      expect(output()).toMatch(/example journey: .* payment SUCCEEDED\)|example journey skipped: \S.*/);
      expect(output()).not.toMatch(/example journey failed/);
      expect(output()).toMatch(/ready in/);

      // Its charger remembered the open transaction and ended it after the restart (PowerLoss, last saved register):
      // the session is COMPLETED from its last meter value and captured, and its connector is free again.
      const driver = /DRIVER\s+(eyJ\S+)/.exec(output())![1];
      const deadline = Date.now() + 30_000;
      let session: { status: string; energyWh: number; payment: { status: string } | null } | undefined;
      for (;;) {
        ({ chargingSession: session } = await call<{ chargingSession: NonNullable<typeof session> }>(
          driver,
          `query ($id: ID!) { chargingSession(id: $id) { status energyWh payment { status } } }`,
          { id: stale!.sessionId },
        ));
        if (session.payment?.status === 'SUCCEEDED' || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(session).toMatchObject({ status: 'COMPLETED', payment: { status: 'SUCCEEDED' } });
      expect(session.energyWh).toBeGreaterThan(0);
      const { station } = await call<{ station: { connectors: Array<{ id: string; status: string }> } }>(
        undefined,
        `query ($id: ID!) { station(id: $id) { connectors { id status } } }`,
        { id: stale!.stationId },
      );
      expect(station.connectors.find((c) => c.id === stale!.connectorId)!.status).toBe('AVAILABLE');

      second.kill('SIGINT');
      const [code] = await once(second, 'exit');
      expect(code).toBe(0);
    },
  );
});
