/**
 * Bulk history for analytics and benchmarks, straight into the subgraphs' databases (see dev/bulk-data.ts).
 *
 *   npm run seed:bulk -- --sessions 1000000 [--operators 24] [--stations 1200] [--end 2026-11-01] [--days 365]
 *
 * Uses DATABASE_URL and DATABASE_PREFIX like every process (default: the system PostgreSQL, prefix `chargegraph`);
 * a second run appends more sessions. Meant for analytics and benchmarks: run the stack with SWEEPER_CRON=off,
 * or the sweeper will try to charge the bulk history's declined payments on made-up provider accounts.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../platform/config.js';
import { seedBulk } from './bulk-data.js';

const usage =
  'usage: npm run seed:bulk -- --sessions N [--operators 24] [--stations 1200] [--end YYYY-MM-DD] [--days 365]';
let values: Record<string, string | undefined>;
try {
  ({ values } = parseArgs({
    options: {
      sessions: { type: 'string' },
      operators: { type: 'string' },
      stations: { type: 'string' },
      end: { type: 'string' },
      days: { type: 'string' },
    },
  }));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exit(64);
}
const count = (name: string, fallback: number | undefined, min: number): number | undefined => {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}\n${usage}`);
    process.exit(64);
  }
  return n;
};
const sessions = count('sessions', undefined, 1);
if (sessions === undefined) {
  console.error(usage);
  process.exit(64);
}
if (values.end !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.end)) {
  console.error(`--end must be a date like 2026-11-01\n${usage}`);
  process.exit(64);
}

const config = loadConfig();
const result = await seedBulk(config, {
  sessions,
  operators: count('operators', 24, 20),
  stations: count('stations', 1200, 1000),
  end: values.end,
  days: count('days', 365, 1),
  log: (line) => console.log(line),
});
console.log(
  `${result.sessionsAdded} sessions added (${result.sessionsTotal} bulk sessions in all) to ${config.DATABASE_PREFIX}_*, ` +
    `${result.operators.length} operators, ${result.stationCount} stations, local dates ${result.window.from} … ${result.window.to} (exclusive), ` +
    `in ${(result.millis / 1000).toFixed(1)} s`,
);
