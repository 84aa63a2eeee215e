/**
 * Analytics benchmark: the platform (four subgraphs and the gateway, over HTTP, in this process) on a fresh set of
 * databases, generated history of 10 000 sessions and then 1 000 000 (dev/bulk-data.ts), each analytics question
 * asked through the gateway many times; prints p50/p95 per question and size and the 1M/10k ratio of the
 * per-operator monthly revenue, writes bench-results/analytics-<time>.{json,md} with the EXPLAIN of the statements.
 *
 *   npm run bench [-- --runs 300 --small 10000 --large 1000000 --keep]
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
import { startStack, type Stack } from '../dev/stack.js';
import { signDevToken } from '../dev/tokens.js';
import { SUBGRAPH_NAMES, type SubgraphName } from '../subgraphs/common/config.js';
import { databaseUrl, dropDatabase } from '../subgraphs/common/database.js';
import { Role } from '../subgraphs/common/identity.js';

const { values } = parseArgs({
  options: { runs: { type: 'string' }, warmup: { type: 'string' }, small: { type: 'string' }, large: { type: 'string' }, keep: { type: 'boolean' } },
});
const RUNS = Number(values.runs ?? 300);
const WARMUP = Number(values.warmup ?? 30);
const SMALL = Number(values.small ?? 10_000);
const LARGE = Number(values.large ?? 1_000_000);
/** The requirement: p95 of the per-operator monthly revenue at 1M within 1.5× of 10k. */
const MAX_RATIO = 1.5;

interface Question {
  id: string;
  title: string;
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

function questions(bulk: BulkResult): Question[] {
  const end = bulk.window.to;
  const month = { from: addDays(end, -1).slice(0, 8) + '01', to: end }; // the last whole month of history
  const year = bulk.window;
  const largest = bulk.operators[0]; // the catalogue's sizes fall off from the first operator
  const median = bulk.operators[Math.floor(bulk.operators.length / 2)];
  const busiestStation = largest.stationIds[0]; // station popularity falls off with its index
  const REVENUE = 'bucket currency gross { amount } applicationFees { amount } refunded { amount } net { amount } paymentCount';
  return [
    {
      id: 'revenue-month-largest',
      title: `revenue per operator, one month by DAY — largest operator (${largest.name})`,
      explain: 'payment',
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { name revenueReport(period: $period, bucket: DAY) { ${REVENUE} } } }`,
      variables: { id: largest.id, period: month },
    },
    {
      id: 'revenue-month-median',
      title: `revenue per operator, one month by DAY — median operator (${median.name})`,
      query: `query ($id: ID!, $period: AnalyticsPeriod!) { operator(id: $id) { name revenueReport(period: $period, bucket: DAY) { ${REVENUE} } } }`,
      variables: { id: median.id, period: month },
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
  ];
}

async function ask(stack: Stack, token: string, q: Question): Promise<number> {
  const started = performance.now();
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: q.query, variables: q.variables }),
  });
  const body = (await response.json()) as { errors?: unknown[] };
  const elapsed = performance.now() - started;
  if (!response.ok || body.errors) throw new Error(`${q.id} failed: ${response.status} ${JSON.stringify(body.errors)}`);
  return elapsed;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function measure(stack: Stack, qs: Question[]): Promise<Record<string, Figures>> {
  const token = await signDevToken({ role: Role.ANALYST, sub: 'bench' }, stack.config.JWT_SECRET);
  for (let i = 0; i < WARMUP; i++) for (const q of qs) await ask(stack, token, q);
  const samples = new Map(qs.map((q) => [q.id, [] as number[]]));
  for (let i = 0; i < RUNS; i++) for (const q of qs) samples.get(q.id)!.push(await ask(stack, token, q));
  return Object.fromEntries(
    qs.map((q) => {
      const sorted = samples.get(q.id)!.sort((a, b) => a - b);
      return [q.id, { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length, max: sorted[sorted.length - 1] }];
    }),
  );
}

/** The statements a subgraph runs for one question, captured from its connection, then EXPLAINed there. */
async function explain(stack: Stack, token: string, q: Question): Promise<string> {
  const subgraph = stack.subgraphs[q.explain!]!;
  const knex = subgraph.orm.em.getConnection().getKnex();
  const statements: Array<{ sql: string; bindings: unknown[] }> = [];
  const onQuery = (event: { sql: string; bindings?: unknown[] }) => void statements.push({ sql: event.sql, bindings: event.bindings ?? [] });
  knex.on('query', onQuery);
  try {
    await ask(stack, token, q);
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

function table(qs: Question[], small: Record<string, Figures>, large: Record<string, Figures>): string {
  const ms = (n: number) => n.toFixed(1).padStart(7);
  const lines = [
    `| question | ${SMALL.toLocaleString('en')} p50 | p95 | ${LARGE.toLocaleString('en')} p50 | p95 | p95 ratio |`,
    '|---|---:|---:|---:|---:|---:|',
    ...qs.map((q) => `| ${q.title} | ${ms(small[q.id].p50)} | ${ms(small[q.id].p95)} | ${ms(large[q.id].p50)} | ${ms(large[q.id].p95)} | ${(large[q.id].p95 / small[q.id].p95).toFixed(2)}× |`),
  ];
  return lines.join('\n');
}

const prefix = `cgbench_${randomBytes(4).toString('hex')}`;
const env = {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: 'silent',
  DATABASE_PREFIX: prefix,
  SWEEPER_INTERVAL_MS: '0',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
};
const log = (line: string) => console.log(`[bench] ${line}`);

log(`databases ${prefix}_* on ${new URL(env.DATABASE_URL).host}; ${RUNS} runs per question after ${WARMUP} warm-up rounds`);
const stack = await startStack({ env, ephemeralPorts: true });
try {
  const started = Date.now();
  const small = await seedBulk(stack.config, { sessions: SMALL, log: (l) => log(`seed: ${l}`) });
  log(`seeded ${small.sessionsTotal} sessions in ${(small.millis / 1000).toFixed(1)} s`);
  const qs = questions(small);
  const token = await signDevToken({ role: Role.ANALYST, sub: 'bench' }, stack.config.JWT_SECRET);
  const smallFigures = await measure(stack, qs);
  const smallPlans = Object.fromEntries(await Promise.all(qs.filter((q) => q.explain).map(async (q) => [q.id, await explain(stack, token, q)] as const)));
  log(`measured at ${SMALL}`);

  const large = await seedBulk(stack.config, { sessions: LARGE - SMALL, log: (l) => log(`seed: ${l}`) });
  log(`seeded ${large.sessionsTotal} sessions in ${(large.millis / 1000).toFixed(1)} s`);
  const largeFigures = await measure(stack, qs);
  const largePlans: Record<string, string> = {};
  for (const q of qs.filter((q) => q.explain)) largePlans[q.id] = await explain(stack, token, q);
  log(`measured at ${LARGE}`);

  // PostgreSQL's own time for the statements (EXPLAIN ANALYZE), free of HTTP, planning and the neighbours' noise.
  const sqlMs = (plan: string) => [...plan.matchAll(/Execution Time: ([\d.]+) ms/g)].reduce((sum, m) => sum + Number(m[1]), 0);
  const sqlTable = [
    `| question (statements EXPLAINed in its subgraph) | SQL ms at ${SMALL.toLocaleString('en')} | SQL ms at ${LARGE.toLocaleString('en')} |`,
    '|---|---:|---:|',
    ...Object.keys(smallPlans).map((id) => `| ${id} | ${sqlMs(smallPlans[id]).toFixed(2)} | ${sqlMs(largePlans[id]).toFixed(2)} |`),
  ].join('\n');
  const ratio = largeFigures['revenue-month-largest'].p95 / smallFigures['revenue-month-largest'].p95;
  const medianRatio = largeFigures['revenue-month-median'].p95 / smallFigures['revenue-month-median'].p95;
  const verdict = ratio <= MAX_RATIO && medianRatio <= MAX_RATIO ? 'PASS' : 'FAIL';
  const summary = [
    `Analytics through the gateway, milliseconds per request (sequential, ${RUNS} runs each after ${WARMUP} warm-up rounds).`,
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; history ${small.window.from} … ${small.window.to}, ${small.operators.length} operators, ${small.stationCount} stations.`,
    '',
    table(qs, smallFigures, largeFigures),
    '',
    sqlTable,
    '',
    `Per-operator revenue over a month, p95 at ${LARGE.toLocaleString('en')} / ${SMALL.toLocaleString('en')}: ${ratio.toFixed(2)}× (largest operator), ${medianRatio.toFixed(2)}× (median operator); limit ${MAX_RATIO}× → ${verdict}`,
  ].join('\n');
  console.log(`\n${summary}\n`);

  await mkdir('bench-results', { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const plans = (title: string, p: Record<string, string>) => Object.entries(p).map(([id, plan]) => `### ${id} (${title})\n\n\`\`\`\n${plan}\n\`\`\``).join('\n\n');
  await writeFile(`bench-results/analytics-${stamp}.md`, `# Analytics benchmark ${new Date().toISOString()}\n\n${summary}\n\n## Plans\n\n${plans(`${SMALL}`, smallPlans)}\n\n${plans(`${LARGE}`, largePlans)}\n`);
  await writeFile(
    `bench-results/analytics-${stamp}.json`,
    JSON.stringify({ at: new Date().toISOString(), runs: RUNS, warmup: WARMUP, sizes: { small: SMALL, large: LARGE }, seedSeconds: { small: small.millis / 1000, large: large.millis / 1000 }, questions: qs.map(({ id, title, variables }) => ({ id, title, variables })), small: smallFigures, large: largeFigures, ratio, medianRatio, verdict, totalSeconds: (Date.now() - started) / 1000 }, null, 2),
  );
  log(`wrote bench-results/analytics-${stamp}.{md,json}`);
  process.exitCode = verdict === 'PASS' ? 0 : 1;
} finally {
  await stack.close();
  if (!values.keep) await Promise.all(SUBGRAPH_NAMES.map((name) => dropDatabase(databaseUrl(stack.config, name))));
  else log(`kept databases ${prefix}_*`);
}
