import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { operatorSubgraph } from '../../subgraphs/operator/index.js';
import { loadPaymentConfig } from '../../subgraphs/payment/config.js';
import { loadProcessConfig } from '../../platform/runtime-config.js';
import { databaseUrl, dropDatabase } from '../../platform/database-admin.js';
import { testConfig } from '../support/config.js';
import { createTestSubgraph } from '../support/subgraph.js';

const get = (url: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    http
      .get(url, { agent: false, headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });

describe('configuration at start', () => {
  it('lists every missing or invalid variable of every reader in one message', () => {
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: 'not a url',
      JWT_SECRET: 'short',
      SHUTDOWN_TIMEOUT_MS: 'soon',
      STRIPE_TIMEOUT_MS: '-1',
    };
    let message = '';
    try {
      loadProcessConfig(env, [loadPaymentConfig]);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid configuration \(\d+ problems\); nothing was started:/);
    for (const variable of ['DATABASE_URL', 'JWT_SECRET', 'SHUTDOWN_TIMEOUT_MS', 'STRIPE_TIMEOUT_MS'])
      expect(message).toContain(`  - ${variable}: `);
    expect(message).not.toMatch(/\n\s+at /); // no stack
  });

  it('makes a process exit 1 with that message and nothing else', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'subgraphs/payment/main.ts'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://x@127.0.0.1:1/postgres',
        JWT_SECRET: 'short',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/JWT_SECRET: .*\n.*STRIPE_SECRET_KEY is required\n.*STRIPE_WEBHOOK_SECRET is required/s);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});

describe('a subgraph process lifecycle', () => {
  it('echoes or assigns request ids, and on close: readiness false, in-flight requests finish, new ones are refused', async () => {
    const config = testConfig();
    const subgraph = await createTestSubgraph(operatorSubgraph, config);
    let released = false;
    try {
      subgraph.app.get('/slow', async (_req, res) => {
        await new Promise((resolve) => setTimeout(resolve, 400));
        res.json({ done: true });
      });
      const url = new URL(await subgraph.listen(0));
      const base = `http://127.0.0.1:${url.port}`;
      expect((await get(`${base}/health/live`, { 'x-request-id': 'abc-123' })).headers['x-request-id']).toBe('abc-123');
      expect(
        (await get(`${base}/health/live`, { 'x-request-id': 'bad id with spaces' })).headers['x-request-id'],
      ).toMatch(/^[0-9a-f-]{36}$/);
      expect((await get(`${base}/health/ready`)).status).toBe(200);

      const slow = get(`${base}/slow`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      subgraph.lifecycle.draining = true;
      const ready = await get(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.headers.connection).toBe('close');
      expect(subgraph.lifecycle.inFlight).toBe(1);
      const closing = subgraph.close();
      released = true;
      expect(await slow).toMatchObject({ status: 200, body: '{"done":true}' });
      await closing;
      await expect(get(`${base}/health/live`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      if (!released) await subgraph.close();
      await dropDatabase(databaseUrl(config, 'operator'));
    }
  });
});
