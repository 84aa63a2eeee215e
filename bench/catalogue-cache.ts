/**
 * Best case of the catalogue's HTTP caching: one catalogue page (20 stations with their connectors' status), asked
 * again and again anonymously by GET with its persisted-query hash, through the platform in this process, with the
 * gateway's shared response cache on and then off (everything else equal: same data, same load). A real map app
 * asks many different pages; this shows only what the cache takes off a crowd asking the same one. Not part of
 * `npm test`, nor of `npm run bench`.
 *
 *   npx tsx bench/catalogue-cache.ts [--seconds 5] [--connections 20]
 *
 * DATABASE_URL as everywhere; the databases are `cgbench_<random>_*`, dropped at the end.
 */
import 'reflect-metadata';
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { dropStackDatabases, startStack } from '../dev/stack.js';
import { signDevToken } from '../dev/tokens.js';
import { Role } from '../platform/identity.js';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, connections: { type: 'string' } } });
const SECONDS = Number(values.seconds ?? 5);
const CONNECTIONS = Number(values.connections ?? 20);
const PAGE = '{ stations(first: 20) { edges { node { id name address { city } connectors { id powerKw status } } } } }';
const log = (line: string) => console.log(`[catalogue-cache] ${line}`);

async function measure(cache: boolean): Promise<void> {
  const prefix = `cgbench_${randomBytes(4).toString('hex')}`;
  const env = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_PREFIX: prefix,
    SWEEPER_CRON: 'off',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    RESPONSE_CACHE_MAX_BYTES: cache ? String(32 * 1024 * 1024) : '0',
  };
  const stack = await startStack({ env, ephemeralPorts: true });
  try {
    const token = await signDevToken({ role: Role.PLATFORM_ADMIN, sub: 'bench' }, stack.config.JWT_SECRET);
    const post = async <T>(query: string, variables: Record<string, unknown> = {}, extensions?: object) => {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables, extensions }),
      });
      const body = (await response.json()) as { data: T; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    const { createOperator } = await post<{ createOperator: { id: string } }>(
      'mutation { createOperator(input: { name: "Bench", country: "DE", defaultCurrency: "EUR", contactEmail: "b@example.com" }) { id } }',
    );
    const { createTariff } = await post<{ createTariff: { id: string } }>(
      `mutation ($i: CreateTariffInput!) { createTariff(input: $i) { id } }`,
      {
        i: {
          operatorId: createOperator.id,
          name: 'Standard',
          currency: 'EUR',
          energyPricePerKwh: '0.4',
          timePricePerHour: '0',
          sessionFee: 0,
          taxRateBasisPoints: 0,
          preAuthorizationAmount: 5000,
        },
      },
    );
    for (let s = 0; s < 20; s++) {
      await post(`mutation ($i: CreateStationInput!) { createStation(input: $i) { id } }`, {
        i: {
          operatorId: createOperator.id,
          name: `Bench ${s}`,
          tariffId: createTariff.id,
          timezone: 'Europe/Berlin',
          address: { street: 'Main St 1', city: 'Town', postalCode: '12345', country: 'DE' },
          location: { latitude: 50 + s / 100, longitude: 8 },
          connectors: [
            { standard: 'CCS2', powerKw: 150 },
            { standard: 'TYPE2', powerKw: 22 },
          ],
        },
      });
    }
    const sha256Hash = createHash('sha256').update(PAGE).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    await post(PAGE, {}, extensions); // registers the persisted query
    const url = `${stack.gatewayUrl}?${new URLSearchParams({ extensions: JSON.stringify(extensions) })}`;
    const probe = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
    log(
      `cache ${cache ? 'on ' : 'off'}: first answer ${probe.status}, Cache-Control: ${probe.headers.get('cache-control')}`,
    );
    const result = await autocannon({
      url,
      connections: CONNECTIONS,
      duration: SECONDS,
      headers: { 'apollo-require-preflight': 'true' },
    });
    log(
      `cache ${cache ? 'on ' : 'off'}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, ` +
        `p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx, ${result.errors} errors ` +
        `(best case: one page, ${CONNECTIONS} connections, ${SECONDS} s)`,
    );
  } finally {
    await stack.close();
    await dropStackDatabases(stack.config);
  }
}

await measure(true);
await measure(false);
