/**
 * Runs a gateway entry in N worker processes sharing one port (node:cluster), so every gateway of the benchmark
 * gets the same number of workers: `node --import tsx bench/gateways/cluster.ts <workers> <entry.ts|entry.js>`.
 * Workers run a .js entry with plain node (no tsx), a .ts entry under tsx. One worker: the entry runs in this
 * process (no primary in between); the harness starts a compiled entry directly instead (stack.ts).
 */
import cluster from 'node:cluster';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [workersArg, entryArg] = process.argv.slice(2);
const workers = Number(workersArg);
if (!Number.isInteger(workers) || workers < 1 || !entryArg) throw new Error('usage: cluster.ts <workers> <entry>');
const entry = path.resolve(entryArg);

if (workers === 1) {
  await import(pathToFileURL(entry).href);
} else if (cluster.isPrimary) {
  // The workers get this process's node flags (heap bounds, --cpu-prof) without its tsx, then their own loader.
  const flags = process.execArgv.filter(
    (arg, i, all) => arg !== 'tsx' && !(arg === '--import' && all[i + 1] === 'tsx'),
  );
  cluster.setupPrimary({ exec: entry, execArgv: [...flags, ...(entry.endsWith('.ts') ? ['--import', 'tsx'] : [])] });
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
