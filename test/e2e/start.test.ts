import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SUBGRAPH_NAMES } from '../../subgraphs/common/config.js';
import { databaseUrl, dropDatabase } from '../../subgraphs/common/database.js';
import { testConfig } from '../support/config.js';
import { freePort } from '../support/ports.js';

/** `npm start` as a user runs it (here on the test PostgreSQL and free ports): seeds, serves, stops on Ctrl-C. */
describe('npm start', () => {
  const config = testConfig();
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.all(SUBGRAPH_NAMES.map((name) => dropDatabase(databaseUrl(config, name))));
  });

  it('starts the platform, seeds demo data, runs a paid journey, answers a three-subgraph query and stops cleanly', async () => {
    const ports = Object.fromEntries(
      await Promise.all(
        ['GATEWAY', ...SUBGRAPH_NAMES.map((n) => n.toUpperCase())].map(async (n) => [n, await freePort()]),
      ),
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_PREFIX: config.DATABASE_PREFIX,
      GATEWAY_PORT: String(ports.GATEWAY),
      STRIPE_EMULATOR_PORT: String(await freePort()),
      STRIPE_EMULATOR_DATA_FILE: path.join(await mkdtemp(path.join(tmpdir(), 'cg-start-')), 'stripe.json'),
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
    child = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in time:\n${output}`)), 60_000);
      child!.stdout!.on('data', () => output.includes('ready in') && (clearTimeout(timer), resolve()));
      child!.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });

    expect(output).toMatch(/seeded demo data: 4 operators/);
    expect(output).toMatch(/LOCAL STRIPE EMULATOR/);
    expect(output).toMatch(/example journey: .* payment SUCCEEDED\)/);
    expect(output).toMatch(/the money landed on the operator's own account acct_\w+: available balance [1-9]\d* EUR/);
    expect(output).toMatch(/the platform took 0/);
    for (const role of ['PLATFORM_ADMIN', 'OPERATOR_ADMIN', 'DRIVER', 'ANALYST', 'PARTNER'])
      expect(output).toMatch(new RegExp(`${role}\\s+eyJ`));

    const response = await fetch(`http://127.0.0.1:${ports.GATEWAY}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ stations(first: 5) { edges { node { name operator { name } tariff { currency } } } } }',
      }),
    });
    const body = (await response.json()) as {
      data: {
        stations: {
          edges: Array<{ node: { name: string; operator: { name: string }; tariff: { currency: string } } }>;
        };
      };
    };
    expect(body.data.stations.edges).toHaveLength(5);
    for (const { node } of body.data.stations.edges) {
      expect(node.operator.name).toBeTruthy();
      expect(node.tariff.currency).toMatch(/^[A-Z]{3}$/);
    }

    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
