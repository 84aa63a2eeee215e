/**
 * Scale benchmark: the platform (four subgraphs and the gateway, over HTTP, in this process) on a fresh set of
 * databases, generated history of 10 000 sessions and then 1 000 000 (dev/bulk-data.ts). Asked through the gateway
 * many times each: the analysts' questions (revenue, payment stats, energy, utilisation) and the everyday reads
 * that must not slow down as history grows (the paginated session list, a deep page of it, an operator's sessions,
 * the catalogue around a point, a driver's history). Prints p50/p95 per question and size and the 1M/10k ratios
 * against their limits; writes bench-results/scale-<time>.{json,md} with the EXPLAIN of the statements.
 *
 *   npm run bench:scale [-- --runs 300 --small 10000 --large 1000000 --keep]
 *
 * DATABASE_URL as everywhere (default: the system PostgreSQL); the databases are `cgbench_<random>_*`, dropped at
 * the end unless --keep. Requests are sequential (latency, not throughput) and interleaved: each round asks every
 * question once, so a noisy neighbour spreads over all of them. Not part of `npm test`.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { addDays, seedBulk, type BulkResult } from '../dev/bulk-data.js';
import { dropStackDatabases, startStack, type Stack } from '../dev/stack.js';
import { signDevToken, type TokenClaims } from '../dev/tokens.js';
import type { SubgraphName } from '../platform/config.js';
import { Role } from '../platform/identity.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    warmup: { type: 'string' },
    small: { type: 'string' },
    large: { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const RUNS = Number(values.runs ?? 300);
const WARMUP = Number(values.warmup ?? 30);
const SMALL = Number(values.small ?? 10_000);
const LARGE = Number(values.large ?? 1_000_000);
interface Question {
  id: string;
  title: string;
  /** Who asks: a token's claims, null for anonymous (default: an analyst). */
  as?: TokenClaims | null;
  /** p95 at the large size may be at most this multiple of p95 at the small size. */
  maxRatio?: number;
  /** Which subgraph's SQL to EXPLAIN (the statements it runs while answering). */
  explain?: SubgraphName;
  query: string;
  variables: Record<string, unknown>;
}

interface Figures {
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

/** Where a keyset page deep into the platform's session list starts, and the driver with the longest history. */
interface ScaleAnchors {
  deepCursor: string;
  deepPages: number;
  busiestDriver: string;
  busiestDriverSessions: number;
}

function questions(bulk: BulkResult, anchors: ScaleAnchors): Question[] {
  const end = bulk.window.to;
  const month = { from: addDays(end, -1).slice(0, 8) + '01', to: end }; // the last whole month of history
  const year = bulk.window;
  const largest = bulk.operators[0]; // the catalogue's sizes fall off from the first operator
  const median = bulk.operators[Math.floor(bulk.operators.length / 2)];
  const busiestStation = largest.stationIds[0]; // station popularity falls off with its index
  const REVENUE =
    'bucket currency gross { amount } applicationFees { amount } refunded { amount } net { amount } paymentCount';
  return [
    {
      id: 'revenue-month-largest',
      title: `revenue per operator, one month by DAY — largest operator (${largest.name})`,
      explain: 'payment',
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { name revenueReport(period: $period, bucket: DAY) { ${REVENUE} } } }`,
      variables: { id: largest.id, period: month },
      maxRatio: 1.5, // issue 5
    },
    {
      id: 'revenue-month-median',
      title: `revenue per operator, one month by DAY — median operator (${median.name})`,
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { name revenueReport(period: $period, bucket: DAY) { ${REVENUE} } } }`,
      variables: { id: median.id, period: month },
      maxRatio: 1.5, // issue 5
    },
    {
      id: 'revenue-year-all-operators',
      title: 'revenue of all operators, one year by MONTH',
      query: `query ($period: AnalyticsPeriod!) { operators(first: 50) { edges { node { name revenueReport(period: $period, bucket: MONTH) { ${REVENUE} } } } } }`,
      variables: { period: year },
    },
    {
      id: 'payment-stats-month-largest',
      title: 'payment success/decline/refund rates, one month — largest operator',
      explain: 'payment',
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { paymentStats(period: $period) { attempts succeeded declined refunded successRate declineRate refundRate } } }`,
      variables: { id: largest.id, period: month },
    },
    {
      id: 'energy-month-largest-operator',
      title: 'energy and sessions per operator, one month by WEEK — largest operator',
      explain: 'session',
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { energy(period: $period, bucket: WEEK) { bucket sessionCount energyKwh averageEnergyKwh averageDurationMinutes } } }`,
      variables: { id: largest.id, period: month },
    },
    {
      id: 'energy-month-station',
      title: 'energy, sessions, averages per station, one month — busiest station',
      explain: 'session',
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { station(id: $id) { name energy(period: $period) { sessionCount energyKwh averageEnergyKwh averageDurationMinutes } } }`,
      variables: { id: busiestStation, period: month },
    },
    {
      id: 'utilisation-month-station',
      title: 'utilisation per station, one month — busiest station',
      explain: 'session',
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { station(id: $id) { name utilisation(period: $period) { chargingHours availableHours ratio } } }`,
      variables: { id: busiestStation, period: month },
    },
    {
      id: 'energy-month-20-stations',
      title: 'energy and utilisation of 20 stations (a page), one month',
      query: `query ($period: AnalyticsPeriod!) { stations(first: 20) { edges { node { name energy(period: $period) { sessionCount energyKwh } utilisation(period: $period) { ratio } } } } }`,
      variables: { period: month },
    },
    // The everyday reads (issue 7): keyset pages, so the depth and the size of the history do not matter.
    {
      id: 'session-list',
      title: 'session list, first page of 20 with station and payment (platform admin)',
      as: { role: Role.PLATFORM_ADMIN, sub: 'bench-admin' },
      explain: 'session',
      query: `query { chargingSessions(first: 20) { edges { cursor node { id status startedAt energyWh station { name } payment { status } } } pageInfo { hasNextPage endCursor } } }`,
      variables: {},
      maxRatio: 1.3,
    },
    {
      id: 'session-list-deep',
      title: `session list, page ${anchors.deepPages + 1} (keyset cursor) with station and payment`,
      as: { role: Role.PLATFORM_ADMIN, sub: 'bench-admin' },
      explain: 'session',
      query: `query ($after: String) { chargingSessions(first: 20, after: $after) { edges { cursor node { id status startedAt energyWh station { name } payment { status } } } pageInfo { hasNextPage endCursor } } }`,
      variables: { after: anchors.deepCursor },
      maxRatio: 1.3,
    },
    {
      id: 'session-list-operator',
      title: `an operator's sessions, first page of 20 (its admin; ${largest.name})`,
      as: { role: Role.OPERATOR_ADMIN, sub: 'bench-operator-admin', operatorId: largest.id },
      explain: 'session',
      query: `query ($id: ID!) { chargingSessions(first: 20, filter: { operatorId: $id }) { edges { node { id status startedAt energyWh station { name } } } } }`,
      variables: { id: largest.id },
      maxRatio: 1.3,
    },
    {
      id: 'catalogue-geo',
      title: `catalogue within 25 km of ${largest.name}'s city, 20 stations with operator, tariff, connectors (anonymous)`,
      as: null,
      explain: 'station',
      query: `query ($near: NearInput!) { stations(first: 20, filter: { near: $near }) { edges { node { name address { city } operator { name } tariff { currency } connectors { standard status } } } } }`,
      variables: { near: { latitude: largest.latitude, longitude: largest.longitude, radiusKm: 25 } },
      maxRatio: 1.3,
    },
    {
      id: 'driver-history',
      title: `a driver's history, 20 newest sessions with station → operator and payment (${anchors.busiestDriverSessions} sessions)`,
      as: { role: Role.DRIVER, sub: anchors.busiestDriver },
      explain: 'session',
      query: `query { chargingSessions(first: 20) { edges { node { id startedAt energyWh station { name operator { name } } payment { status amount { amount currency } } } } } }`,
      variables: {},
      maxRatio: 1.3,
    },
  ];
}

/** Bearer tokens per question (anonymous questions send none). */
type Tokens = Map<string, string | undefined>;

async function tokensFor(stack: Stack, qs: Question[]): Promise<Tokens> {
  const analyst: TokenClaims = { role: Role.ANALYST, sub: 'bench' };
  const tokenOf = async (who: TokenClaims | null) => (who ? signDevToken(who, stack.config.JWT_SECRET) : undefined);
  return new Map(
    await Promise.all(qs.map(async (q) => [q.id, await tokenOf(q.as === undefined ? analyst : q.as)] as const)),
  );
}

async function gql<T>(
  stack: Stack,
  token: string | undefined,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ data?: T; errors?: unknown[]; status: number }> {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { ...((await response.json()) as { data?: T; errors?: unknown[] }), status: response.status };
}

async function ask(stack: Stack, tokens: Tokens, q: Question): Promise<number> {
  const started = performance.now();
  const body = await gql(stack, tokens.get(q.id), q.query, q.variables);
  const elapsed = performance.now() - started;
  if (body.status !== 200 || body.errors)
    throw new Error(`${q.id} failed: ${body.status} ${JSON.stringify(body.errors)}`);
  return elapsed;
}

/** Walks the platform's session list `pages` pages deep (keyset cursors) and finds the driver with the most sessions. */
async function anchorsFor(stack: Stack, pages: number): Promise<ScaleAnchors> {
  const admin = await signDevToken({ role: Role.PLATFORM_ADMIN, sub: 'bench-admin' }, stack.config.JWT_SECRET);
  let cursor: string | undefined;
  for (let page = 0; page < pages; page++) {
    const { data } = await gql<{ chargingSessions: { pageInfo: { endCursor: string | null } } }>(
      stack,
      admin,
      'query ($after: String) { chargingSessions(first: 100, after: $after) { pageInfo { endCursor } } }',
      { after: cursor },
    );
    cursor = data?.chargingSessions.pageInfo.endCursor ?? cursor;
  }
  const sessionDb = stack.subgraphs.session!.orm.em.fork();
  const [busiest] = await sessionDb.execute<Array<{ driver_id: string; sessions: string }>>(
    `select driver_id, count(*) as sessions from charging_session group by driver_id order by count(*) desc, driver_id limit 1`,
  );
  return {
    deepCursor: cursor ?? '',
    deepPages: pages * 5,
    busiestDriver: busiest.driver_id,
    busiestDriverSessions: Number(busiest.sessions),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(stack: Stack, qs: Question[], tokens: Tokens): Promise<Record<string, Figures>> {
  for (let i = 0; i < WARMUP; i++) for (const q of qs) await ask(stack, tokens, q);
  const samples = new Map(qs.map((q) => [q.id, [] as number[]]));
  for (let i = 0; i < RUNS; i++) for (const q of qs) samples.get(q.id)!.push(await ask(stack, tokens, q));
  return Object.fromEntries(
    qs.map((q) => {
      const sorted = samples.get(q.id)!.sort((a, b) => a - b);
      return [
        q.id,
        {
          p50: percentile(sorted, 50),
          p95: percentile(sorted, 95),
          mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
          max: sorted[sorted.length - 1],
        },
      ];
    }),
  );
}

/** The statements a subgraph runs for one question, captured from its connection, then EXPLAINed there. */
async function explain(stack: Stack, tokens: Tokens, q: Question): Promise<string> {
  const subgraph = stack.subgraphs[q.explain!]!;
  const knex = subgraph.orm.em.getConnection().getKnex();
  const statements: Array<{ sql: string; bindings: unknown[] }> = [];
  const onQuery = (event: { sql: string; bindings?: unknown[] }) =>
    void statements.push({ sql: event.sql, bindings: event.bindings ?? [] });
  knex.on('query', onQuery);
  try {
    await ask(stack, tokens, q);
  } finally {
    knex.off('query', onQuery);
  }
  const plans: string[] = [];
  for (const { sql, bindings } of statements.filter((s) => /^\s*(select|with)/i.test(s.sql))) {
    const result = await knex.raw(`explain (analyze, buffers) ${sql}`, bindings as never);
    plans.push((result.rows as Array<{ 'QUERY PLAN': string }>).map((r) => r['QUERY PLAN']).join('\n'));
  }
  return plans.join('\n\n');
}

const ratioOf = (q: Question, small: Record<string, Figures>, large: Record<string, Figures>) =>
  large[q.id].p95 / small[q.id].p95;

function table(qs: Question[], small: Record<string, Figures>, large: Record<string, Figures>): string {
  const ms = (n: number) => n.toFixed(1).padStart(7);
  const verdict = (q: Question) =>
    q.maxRatio === undefined
      ? ''
      : ratioOf(q, small, large) <= q.maxRatio
        ? ` (≤ ${q.maxRatio}× PASS)`
        : ` (> ${q.maxRatio}× FAIL)`;
  const lines = [
    `| question | ${SMALL.toLocaleString('en')} p50 | p95 | ${LARGE.toLocaleString('en')} p50 | p95 | p95 ratio |`,
    '|---|---:|---:|---:|---:|---:|',
    ...qs.map(
      (q) =>
        `| ${q.title} | ${ms(small[q.id].p50)} | ${ms(small[q.id].p95)} | ${ms(large[q.id].p50)} | ${ms(large[q.id].p95)} | ${ratioOf(q, small, large).toFixed(2)}×${verdict(q)} |`,
    ),
  ];
  return lines.join('\n');
}

const prefix = `cgbench_${randomBytes(4).toString('hex')}`;
const env = {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATABASE_PREFIX: prefix,
  SWEEPER_CRON: 'off',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
};
const log = (line: string) => console.log(`[bench] ${line}`);

log(
  `databases ${prefix}_* on ${new URL(env.DATABASE_URL).host}; ${RUNS} runs per question after ${WARMUP} warm-up rounds`,
);
const stack = await startStack({ env, ephemeralPorts: true });
try {
  const started = Date.now();
  const small = await seedBulk(stack.config, { sessions: SMALL, log: (l) => log(`seed: ${l}`) });
  log(`seeded ${small.sessionsTotal} sessions in ${(small.millis / 1000).toFixed(1)} s`);
  // The same deep page at both sizes: 1000 sessions down the list (newest first), the same driver.
  const smallAnchors = await anchorsFor(stack, 10);
  const smallQs = questions(small, smallAnchors);
  const tokens = await tokensFor(stack, smallQs);
  const smallFigures = await measure(stack, smallQs, tokens);
  const smallPlans: Record<string, string> = {};
  for (const q of smallQs.filter((q) => q.explain)) smallPlans[q.id] = await explain(stack, tokens, q);
  log(`measured at ${SMALL}`);

  const large = await seedBulk(stack.config, { sessions: LARGE - SMALL, log: (l) => log(`seed: ${l}`) });
  log(`seeded ${large.sessionsTotal} sessions in ${(large.millis / 1000).toFixed(1)} s`);
  // The driver with the longest history now, and a cursor as deep as before (the list's newest end grew).
  const qs = questions(large, await anchorsFor(stack, 10));
  const largeTokens = await tokensFor(stack, qs);
  const largeFigures = await measure(stack, qs, largeTokens);
  const largePlans: Record<string, string> = {};
  for (const q of qs.filter((q) => q.explain)) largePlans[q.id] = await explain(stack, largeTokens, q);
  log(`measured at ${LARGE}`);

  // PostgreSQL's own time for the statements (EXPLAIN ANALYZE), free of HTTP, planning and the neighbours' noise.
  const sqlMs = (plan: string) =>
    [...plan.matchAll(/Execution Time: ([\d.]+) ms/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const sqlTable = [
    `| question (statements EXPLAINed in its subgraph) | SQL ms at ${SMALL.toLocaleString('en')} | SQL ms at ${LARGE.toLocaleString('en')} |`,
    '|---|---:|---:|',
    ...Object.keys(smallPlans).map(
      (id) => `| ${id} | ${sqlMs(smallPlans[id]).toFixed(2)} | ${sqlMs(largePlans[id]).toFixed(2)} |`,
    ),
  ].join('\n');
  const limited = qs.filter((q) => q.maxRatio !== undefined);
  const failed = limited.filter((q) => ratioOf(q, smallFigures, largeFigures) > q.maxRatio!);
  const verdict = failed.length === 0 ? 'PASS' : 'FAIL';
  const summary = [
    `Through the gateway, milliseconds per request (sequential, ${RUNS} runs each after ${WARMUP} warm-up rounds).`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; history ${small.window.from} … ${small.window.to}, ${small.operators.length} operators, ${small.stationCount} stations.`,
    '',
    table(qs, smallFigures, largeFigures),
    '',
    sqlTable,
    '',
    `p95 at ${LARGE.toLocaleString('en')} / ${SMALL.toLocaleString('en')} within its limit for ${limited.length - failed.length} of ${limited.length} questions → ${verdict}${failed.length ? ` (over: ${failed.map((q) => q.id).join(', ')})` : ''}`,
  ].join('\n');
  console.log(`\n${summary}\n`);

  await mkdir('bench-results', { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const plans = (title: string, p: Record<string, string>) =>
    Object.entries(p)
      .map(([id, plan]) => `### ${id} (${title})\n\n\`\`\`\n${plan}\n\`\`\``)
      .join('\n\n');
  await writeFile(
    `bench-results/scale-${stamp}.md`,
    `# Scale benchmark ${new Date().toISOString()}\n\n${summary}\n\n## Plans\n\n${plans(`${SMALL}`, smallPlans)}\n\n${plans(`${LARGE}`, largePlans)}\n`,
  );
  await writeFile(
    `bench-results/scale-${stamp}.json`,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        runs: RUNS,
        warmup: WARMUP,
        sizes: { small: SMALL, large: LARGE },
        seedSeconds: { small: small.millis / 1000, large: large.millis / 1000 },
        questions: qs.map(({ id, title, variables, maxRatio }) => ({
          id,
          title,
          variables,
          maxRatio,
          ratio: ratioOf({ id } as Question, smallFigures, largeFigures),
        })),
        small: smallFigures,
        large: largeFigures,
        verdict,
        totalSeconds: (Date.now() - started) / 1000,
      },
      null,
      2,
    ),
  );
  log(`wrote bench-results/scale-${stamp}.{md,json}`);
  process.exitCode = verdict === 'PASS' ? 0 : 1;
} finally {
  await stack.close();
  if (!values.keep) await dropStackDatabases(stack.config);
  else log(`kept databases ${prefix}_*`);
}
