/**
 * The OCPP load generator against ocpp-rpc's own RPCServer (`reference-server.ts`), no platform behind it: checks
 * the generator end to end and shows what it costs, per client kind.
 *   node --import tsx bench/ocpp/self-test.ts [--client ws|rpc] [--chargers 5000] [--generators 2] [--tick 20]
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { GeneratorPool, percentile } from './pool.js';
import { ProcSampler, startNode, stopAll, waitReady } from '../gateways/processes.js';
import type { ClientKind } from './charger.js';

const { values } = parseArgs({
  options: {
    client: { type: 'string', default: 'ws' },
    chargers: { type: 'string', default: '5000' },
    generators: { type: 'string', default: '2' },
    tick: { type: 'string', default: '20' },
    port: { type: 'string', default: '4890' },
  },
});
const port = Number(values.port);
const total = Number(values.chargers);
const logDir = path.join(import.meta.dirname, '..', '..', '.cache', 'ocpp-self-test');
const server = await startNode('reference-server', 'bench/ocpp/reference-server.ts', {
  env: process.env,
  args: [String(port), '10', values.tick],
  logDir,
});
const pool = new GeneratorPool(Number(values.generators), values.client as ClientKind, 30_000);
try {
  await waitReady(server, async () => {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return true;
    } catch {
      return false;
    }
  });
  const sampler = new ProcSampler();
  sampler.track('server', server.pid, { alone: true });
  pool.pids.forEach((pid, i) => sampler.track(`generator${i}`, pid, { alone: true }));
  const chargers = Array.from({ length: total }, (_, i) => ({
    chargePointId: `SELF${String(i).padStart(5, '0')}`,
    password: `pw-SELF${String(i).padStart(5, '0')}`,
    connectors: 2,
  }));
  let done = 0;
  for (const step of [1000, 2500, 5000].filter((s) => s <= total)) {
    sampler.begin();
    const result = await pool.connect(`ws://127.0.0.1:${port}`, chargers.slice(done, step), 100, Date.now() + 120_000);
    done = step;
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const stats = await pool.stats();
    const usage = sampler.end();
    console.log(
      `step ${step}: +${result.connected}/${result.attempted} in ${(result.elapsedMs / 1000).toFixed(1)} s (p99 ${percentile(result.connectMs, 99).toFixed(0)} ms) failures ${JSON.stringify(result.failures)}; open ${stats.open} current ${stats.current} heartbeats ${JSON.stringify(stats.heartbeats)}; ${usage.map((u) => `${u.name} ${u.cpuPercent}% ${u.peakRssMbPerProcess} MB`).join(', ')}`,
    );
  }
  const charging = chargers.slice(0, Math.min(1000, total));
  const started = await pool.start(
    charging.map((c, i) => ({ chargePointId: c.chargePointId, idTag: `TAG${i}`, connectorId: 1 })),
    50,
    Date.now() + 60_000,
  );
  console.log(
    `started ${started.started.length} transactions in ${started.elapsedMs.toFixed(0)} ms ${JSON.stringify(started.failures)}`,
  );
  const share = pool.shareOf(started.started.map((s) => s.chargePointId));
  for (const rate of [500, 1000, 2000, 4000]) {
    sampler.begin();
    const m = await pool.meter(rate, 5000, share, 3000);
    const usage = sampler.end();
    console.log(
      `meter ${rate}/s: acked ${(m.ackedInWindow / 5).toFixed(0)}/s (${m.acked}/${m.scheduled}) p50 ${percentile(m.latencyMs, 50).toFixed(1)} p99 ${percentile(m.latencyMs, 99).toFixed(1)} ms errors ${JSON.stringify(m.errors)}; ${usage.map((u) => `${u.name} ${u.cpuPercent}% ${u.peakRssMbPerProcess} MB`).join(', ')}`,
    );
  }
} finally {
  await pool.close();
  await stopAll();
}
