import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultChargePointId } from '../../dev/charger/register.js';
import { ScriptedCsms } from './scripted-csms.js';

const STATION_ID = '01930000-0000-7000-8000-00000000abcd';

/**
 * Stands in for the gateway: the station with two connectors (listed out of OCPP order), registerChargePoint the
 * first time, rotateChargePointPassword afterwards; only a PLATFORM_ADMIN token is served.
 */
class FakeGateway {
  readonly operations: string[] = [];
  private registered: string | undefined;
  private readonly server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const { query, variables } = JSON.parse(body) as { query: string; variables: Record<string, string> };
      const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString() || '{}') as {
        role?: string;
      };
      const answer = (payload: unknown) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(payload));
      };
      if (claims.role !== 'PLATFORM_ADMIN')
        return answer({ errors: [{ message: 'forbidden', extensions: { code: 'FORBIDDEN' } }] });
      if (query.includes('registerChargePoint')) {
        this.operations.push(`register ${variables.stationId} ${variables.chargePointId}`);
        this.registered = variables.chargePointId;
        return answer({
          data: {
            registerChargePoint: { chargePoint: { id: 'cp-1', chargePointId: this.registered }, password: 'secret' },
          },
        });
      }
      if (query.includes('rotateChargePointPassword')) {
        this.operations.push(`rotate ${variables.id}`);
        return answer({
          data: {
            rotateChargePointPassword: {
              chargePoint: { id: 'cp-1', chargePointId: this.registered },
              password: 'secret',
            },
          },
        });
      }
      if (variables.id !== STATION_ID)
        return answer({ errors: [{ message: 'Station not found', extensions: { code: 'NOT_FOUND' } }] });
      this.operations.push('station');
      return answer({
        data: {
          station: {
            id: STATION_ID,
            name: 'Test Harbour',
            connectors: [
              { id: 'conn-b', powerKw: 22, ocppConnectorId: 2 },
              { id: 'conn-a', powerKw: 150, ocppConnectorId: 1 },
            ],
            chargePoints: this.registered ? [{ id: 'cp-1', chargePointId: this.registered }] : [],
          },
        },
      });
    });
  });
  url = '';

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/graphql`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const csms = new ScriptedCsms();
const gateway = new FakeGateway();
beforeAll(() => Promise.all([csms.listen(), gateway.listen()]));
afterAll(() => Promise.all([csms.close(), gateway.close()]));

function runCli(args: string[]): {
  child: ChildProcess;
  output: () => string;
  waitFor: (text: RegExp) => Promise<void>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'dev/charger/cli.ts', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const waitFor = (text: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${text} in time:\n${output}`)), 20_000);
      const check = () => {
        if (!text.test(output)) return;
        clearTimeout(timer);
        resolve();
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('exit', () => setTimeout(() => reject(new Error(`exited before ${text}:\n${output}`)), 50));
      check();
    });
  return { child, output: () => output, waitFor };
}

describe('npm run charger', () => {
  it('registers the station charge point, connects with its password, follows a remote start and an unplug', async () => {
    const cli = runCli([
      '--station',
      STATION_ID,
      '--gateway',
      gateway.url,
      '--ocpp',
      csms.url,
      '--meter-interval',
      '200',
    ]);
    await cli.waitFor(/ready: connector 1 150 kW, connector 2 22 kW/);
    const id = defaultChargePointId(STATION_ID);
    expect(gateway.operations).toEqual(['station', `register ${STATION_ID} ${id}`]);
    expect(cli.output()).toMatch(new RegExp(`registered charge point ${id} for station "Test Harbour"`));
    expect(cli.output()).toMatch(/password \(shown once\): secret/);
    expect(csms.from(id, 'BootNotification')).toHaveLength(1);

    expect(await csms.command(id, 'RemoteStartTransaction', { connectorId: 1, idTag: 'APP-CLI' })).toEqual({
      status: 'Accepted',
    });
    await cli.waitFor(/transaction 42 started on connector 1 for APP-CLI at 150 kW/);
    await cli.waitFor(/connector 1: transaction 42 at \d+ Wh \(\+[1-9]\d* Wh\)/);
    cli.child.stdin!.write('unplug 1\n');
    await cli.waitFor(/transaction 42 on connector 1 ended \(EVDisconnected\)/);
    expect(csms.from(id, 'StopTransaction')[0].params).toMatchObject({ transactionId: 42, reason: 'EVDisconnected' });

    cli.child.kill('SIGINT');
    const [code] = await once(cli.child, 'exit');
    expect(code).toBe(0);
  });

  it('rotates the password when the station already has its charge point; 2.0.1 on request', async () => {
    const cli = runCli([
      '--station',
      STATION_ID,
      '--gateway',
      gateway.url,
      '--ocpp',
      csms.url,
      '--protocol',
      'ocpp2.0.1',
    ]);
    await cli.waitFor(/ready:/);
    expect(gateway.operations.at(-1)).toBe('rotate cp-1');
    expect(cli.output()).toMatch(/rotated the password of charge point SIM-\w+/);
    expect(cli.output()).toMatch(/\(ocpp2\.0\.1\) BootNotification Accepted/);
    cli.child.kill('SIGINT');
    expect((await once(cli.child, 'exit'))[0]).toBe(0);
  });

  it('says why and exits 1 when the station cannot be had; 64 on bad arguments', async () => {
    const unknown = runCli(['--station', 'nope', '--gateway', gateway.url, '--ocpp', csms.url]);
    const [code] = await once(unknown.child, 'exit');
    expect(code).toBe(1);
    expect(unknown.output()).toMatch(
      /cannot register a charge point for station nope .*Station not found \(NOT_FOUND\)/,
    );

    const bad = runCli(['--station', STATION_ID, '--protocol', 'ocpp9']);
    expect((await once(bad.child, 'exit'))[0]).toBe(64);
    expect(bad.output()).toMatch(/usage: npm run charger/);
  });
});
