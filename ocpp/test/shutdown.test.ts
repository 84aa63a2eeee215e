import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/ports.js';
import { testConfig, testEnv } from '../../test/support/config.js';
import { charger, closed, dropOcppDatabases, FakePlatform, startOcpp, until } from './support.js';

describe('graceful shutdown', () => {
  it('readiness 503, new chargers refused, every socket closed with 1012 and reported disconnected', async () => {
    const platform = new FakePlatform();
    const config = testConfig();
    const ocpp = await startOcpp(platform, config);
    try {
      const one = platform.addChargePoint('SHUT-1');
      const two = platform.addChargePoint('SHUT-2');
      const first = charger(ocpp.wsUrl, one.chargePointId, one.password, 'ocpp1.6');
      const second = charger(ocpp.wsUrl, two.chargePointId, two.password, 'ocpp2.0.1');
      await first.connect();
      await second.connect();
      await until(() => ocpp.server.connections.size === 2);
      const closes = [closed(first), closed(second)];

      ocpp.server.beginDraining();
      expect((await fetch(`${ocpp.url}/health/ready`)).status).toBe(503);
      const late = platform.addChargePoint('SHUT-LATE');
      await expect(charger(ocpp.wsUrl, late.chargePointId, late.password, 'ocpp1.6').connect()).rejects.toMatchObject({
        code: 503,
      });

      await ocpp.server.close();
      for (const close of await Promise.all(closes))
        expect(close).toEqual({ code: 1012, reason: 'Service restart; connect again' });
      for (const id of ['SHUT-1', 'SHUT-2']) expect(platform.presenceOf(id).at(-1)?.connected).toBe(false);
      await expect(fetch(`${ocpp.url}/health/live`)).rejects.toThrow();
    } finally {
      await ocpp.server.close();
      await dropOcppDatabases(config);
    }
  });

  it('the process (tsx ocpp/main.ts) becomes ready and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const env = testEnv({ OCPP_PORT: String(port) });
    const child = spawn(process.execPath, ['--import', 'tsx', 'ocpp/main.ts'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const ready = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        if (ready?.status === 200) break;
        if (Date.now() > deadline) throw new Error(`not ready: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await dropOcppDatabases(testConfig({ DATABASE_PREFIX: env.DATABASE_PREFIX }));
    }
  }, 40_000);
});
