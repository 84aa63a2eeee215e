import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../test/support/config.js';
import { databaseUrl, dropDatabase, ensureDatabase } from '../database-admin.js';
import { JobQueue } from '../subgraph/jobs.js';

const url = databaseUrl(testConfig(), 'session');
let queue: JobQueue;

beforeAll(async () => {
  await ensureDatabase(url);
  queue = await JobQueue.start({
    connectionString: url,
    logger: pino({ level: 'silent' }),
    pollingIntervalSeconds: 0.5,
  });
});
afterAll(async () => {
  await queue.stop();
  await dropDatabase(url);
});

describe('the job queue', () => {
  it('works many jobs per poll, side by side, and retries only the one that failed', async () => {
    const runs = new Map<number, number>();
    let running = 0;
    let mostAtOnce = 0;
    await queue.work<{ n: number }>(
      'test-batch',
      async ({ n }) => {
        runs.set(n, (runs.get(n) ?? 0) + 1);
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running--;
        if (n === 3 && runs.get(3) === 1) throw new Error('first try of job 3 fails');
      },
      { retryLimit: 2, retryDelay: 1, retryBackoff: false },
    );
    for (let n = 0; n < 10; n++) await queue.send('test-batch', { n });
    const deadline = Date.now() + 20_000;
    while ((runs.size < 10 || runs.get(3) !== 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...runs.keys()].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(runs.get(3)).toBe(2); // retried once after its failure
    expect([...runs.entries()].filter(([n, count]) => n !== 3 && count !== 1)).toEqual([]); // the others ran once
    expect(mostAtOnce).toBeGreaterThan(1);
  });
});
