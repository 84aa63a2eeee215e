/**
 * A simulated day (issue 13 item 7): many drivers, one card each across operators in EUR, GBP, CHF and JPY,
 * declines, 3-D Secure, holds exceeded, partial and full refunds, pending and failing refunds, disputes won and lost,
 * injected provider faults and webhook replays — all through the gateway's public API against the Stripe emulator.
 * At the close of the day every operator's ledger must equal its connected account's balance, the platform's fees
 * its balance, and no completed session may be left unbilled; it exits 1 otherwise.
 *
 *   npm run simulate:day [-- --operators 20 --sessions 10000 --concurrency 16 --seed 13 --keep --max-minutes 45]
 *
 * DATABASE_URL: the PostgreSQL server to use (databases `cgsim_<random>_*`, dropped at the end unless --keep);
 * without it an embedded PostgreSQL is started (data in .data/simday-postgres). --max-minutes: no new session after
 * that much traffic; the day closes on those that ran and exits 1 (not the whole day). Not part of `npm test` (a 500-session
 * day is: test/e2e/simulate-day.test.ts).
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../dev/embedded-postgres.js';
import { formatReport, runSimulatedDay } from './simulate-day/run.js';

const { values } = parseArgs({
  options: {
    operators: { type: 'string' },
    sessions: { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    keep: { type: 'boolean' },
    'max-minutes': { type: 'string' },
  },
});
const say = (line: string) => console.log(`[simday] ${line}`);

let embedded: EmbeddedDatabase | undefined;
let url = process.env.DATABASE_URL;
if (!url) {
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 54321);
  say(`DATABASE_URL not set: starting an embedded PostgreSQL on port ${port} (.data/simday-postgres)`);
  embedded = await startEmbeddedPostgres('.data/simday-postgres', port, say);
  url = embedded.url;
}
try {
  const report = await runSimulatedDay({
    operators: Number(values.operators ?? 20),
    sessions: Number(values.sessions ?? 10_000),
    concurrency: Number(values.concurrency ?? 16),
    seed: Number(values.seed ?? 13),
    databaseUrl: url,
    keep: values.keep,
    maxTrafficSeconds: values['max-minutes'] ? Number(values['max-minutes']) * 60 : undefined,
    logLevel: process.env.LOG_LEVEL,
    log: say,
  });
  console.log(`\n${formatReport(report)}`);
  process.exitCode = report.problems.length === 0 ? 0 : 1;
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await embedded?.stop();
}
