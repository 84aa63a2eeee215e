import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresApqCache } from '../../gateway/apq-cache.js';
import { createGateway, type Gateway } from '../../gateway/gateway.js';
import { gatewayDatabaseUrl } from '../../gateway/rate-limit.js';
import { dropDatabase } from '../../platform/database-admin.js';
import { createLogger } from '../../platform/logger.js';
import { testConfig } from '../support/config.js';

/*
 * Nothing two replicas must agree on lives in one process's memory. Covered elsewhere: the payment sweeper on two
 * replicas at once (subgraphs/payment/test/sweeper-cards.test.ts, test/payment/money-flow.test.ts), webhook dedupe
 * and idempotency in the payment database (subgraphs/payment/test/exactly-once.test.ts), mutation rate limits in
 * the gateway's database (gateway/rate-limit.ts). Here: automatic persisted queries.
 */
describe('automatic persisted queries, shared by gateway replicas through PostgreSQL', () => {
  const config = testConfig({ RATE_LIMIT_MUTATIONS: '0' });
  const logger = createLogger('gateway', 'silent');
  const started: Gateway[] = [];
  afterAll(async () => {
    for (const gateway of started) await gateway.close();
    await dropDatabase(gatewayDatabaseUrl(config));
  });

  it('answers a hash registered on one replica from another one', async () => {
    const supergraphSdl = await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
    const urls: string[] = [];
    for (let i = 0; i < 2; i++) {
      const gateway = await createGateway({ config, logger, supergraphSdl, env: {} });
      started.push(gateway);
      urls.push(await gateway.listen(0));
    }
    const query = '{ __typename }';
    const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
    const send = (url: string, body: object) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        (r) => r.json(),
      );
    // Unknown everywhere at first; registered on replica A; replica B knows it.
    expect(await send(urls[1], { extensions: { persistedQuery } })).toMatchObject({
      errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }],
    });
    expect(await send(urls[0], { query, extensions: { persistedQuery } })).toEqual({ data: { __typename: 'Query' } });
    // Apollo stores the entry without holding up the answer: give the write a moment.
    let fromB: unknown;
    for (let i = 0; i < 40; i++) {
      fromB = await send(urls[1], { extensions: { persistedQuery } });
      if (!(fromB as { errors?: unknown }).errors) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(fromB).toEqual({ data: { __typename: 'Query' } });
  });

  it('expires entries, and treats an unreachable database as a miss', async () => {
    const cache = new PostgresApqCache(gatewayDatabaseUrl(config), logger);
    await cache.set('k', 'v', { ttl: 1 });
    expect(await cache.get('k')).toBe('v');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await cache.get('k')).toBeUndefined();
    await cache.close();
    const down = new PostgresApqCache('postgres://postgres@127.0.0.1:1/none', logger);
    expect(await down.get('k')).toBeUndefined();
    await expect(down.set('k', 'v')).resolves.toBeUndefined();
    await down.close();
  });
});
