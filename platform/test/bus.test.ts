import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/support/config.js';
import { Bus, busDatabaseUrl } from '../bus.js';
import { dropDatabase } from '../database-admin.js';

const url = busDatabaseUrl(testConfig());
let bus: Bus;
let sender: Bus;

const next = <T>(register: (resolve: (value: T) => void) => void) =>
  new Promise<T>((resolve, reject) => {
    register(resolve);
    setTimeout(() => reject(new Error('nothing arrived in 5 s')), 5_000).unref();
  });

beforeAll(async () => {
  bus = await Bus.connect(url, pino({ level: 'silent' }));
  sender = await Bus.connect(url, pino({ level: 'silent' }));
});
afterAll(async () => {
  await bus.close();
  await sender.close();
  await dropDatabase(url);
});

describe('the bus', () => {
  it('delivers a message to every subscriber of its channel, and nothing of other channels', async () => {
    const seen: unknown[] = [];
    const stop = await bus.subscribe('ocpp_reply', (message) => seen.push(message));
    const changed = next((resolve) => void bus.subscribe('session_changed', resolve));
    await sender.publish('ocpp_command', { ignored: true });
    await sender.publish('session_changed', { id: 's-1' });
    expect(await changed).toEqual({ id: 's-1' });
    expect(seen).toEqual([]);
    stop();
  });

  it('publishEach sends every message of a batch, in order, in one call', async () => {
    const seen: unknown[] = [];
    let allArrived!: () => void;
    const all = next<void>((resolve) => (allArrived = resolve));
    await bus.subscribe('session_changed', (message) => {
      seen.push(message);
      if (seen.length === 3) allArrived();
    });
    await sender.publishEach('session_changed', [{ id: 'b-1' }, { id: 'b-2' }, { id: 'b-3' }]);
    await all;
    expect(seen).toEqual([{ id: 'b-1' }, { id: 'b-2' }, { id: 'b-3' }]);
  });

  it('listens again after its connection is killed, and says so', async () => {
    const reconnected = next<void>((resolve) => bus.onReconnect(resolve));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // The listening session is the one that ran LISTEN: end every other session on the bus database but ours.
    await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
       where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`,
    );
    await admin.end();
    await reconnected;
    const changed = next((resolve) => void bus.subscribe('session_changed', resolve));
    await sender.publish('session_changed', { id: 's-2' });
    expect(await changed).toEqual({ id: 's-2' });
  });
});
