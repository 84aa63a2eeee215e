/**
 * Runs a gateway entry in N worker processes sharing one port (node:cluster), so every gateway of the benchmark
 * gets the same number of workers: `node --import tsx bench/gateways/cluster.ts <workers> <entry.ts>`.
 * One worker: the entry runs in this process (no primary in between), as a single-process gateway would.
 */
import cluster from 'node:cluster';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [workersArg, entryArg] = process.argv.slice(2);
const workers = Number(workersArg);
if (!Number.isInteger(workers) || workers < 1 || !entryArg) throw new Error('usage: cluster.ts <workers> <entry.ts>');
const entry = path.resolve(entryArg);

if (workers === 1) {
  await import(pathToFileURL(entry).href);
} else if (cluster.isPrimary) {
  cluster.setupPrimary({ exec: entry, execArgv: ['--import', 'tsx'] });
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`worker ${worker.process.pid} ended (${signal ?? code}); stopping`);
    process.exit(1);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      const alive = () => Object.values(cluster.workers ?? {}).some((w) => w && !w.isDead());
      const timer = setInterval(() => {
        if (!alive()) process.exit(0);
      }, 50);
      setTimeout(() => {
        clearInterval(timer);
        process.exit(0);
      }, 5000).unref();
    });
  }
}
