/**
 * `npm run bench:ocpp` (also the last section of `npm run bench`) — how much one OCPP replica holds.
 *
 * Starts PostgreSQL (system or embedded), the Stripe emulator and the four subgraphs, each in its own process, and
 * one OCPP replica (ocpp/main.ts with the NODE_OPTIONS of its Kubernetes manifest, NODE_ENV=production); seeds a
 * post-paid operator with N stations and their registered charge points and M drivers with RFID tags, straight at
 * the subgraphs with signed identities. Then load generators in child processes (OCPP 1.6-J over `ws`, or
 * ocpp-rpc's RPCClient with --client rpc) connect the chargers in steps (1,000 → 2,500 → 5,000), each boots,
 * reports its connectors and heartbeats at the interval the server gave; after each step's hold: how many are still
 * connected with heartbeats current, and what the station subgraph says. Then M chargers start a transaction
 * (Authorize + StartTransaction with a driver's tag) and send MeterValues at increasing open-loop rates
 * (500 → 1,000 → 2,000/s): acknowledged per second and p50/p99 of the acknowledgement. Last, every session's energy
 * is compared with the last value its charger had acknowledged, and the replica is stopped with every charger
 * connected (close code 1012 expected). CPU and peak RSS of every process from /proc. Loopback only; bounded to
 * --budget seconds (default 240).
 * Writes bench-results/ocpp-<time>/ocpp.{json,md} and bench-results/ocpp-latest.{json,md} (git-ignored).
 *
 *   npm run bench:ocpp                    # ≈ 3.5 min on 2 cores
 *   npm run bench:ocpp -- --quick         # ≈ 1 min: 250 → 500 chargers, 200 transactions, 200 → 500/s
 *   options: --steps 1000,2500,5000 --charging 500 --rates 500,1000,2000 --hold <s> --meter-seconds <s>
 *            --client ws|rpc --generators <n> --base-port <n> --budget <s> --embedded-pg --keep
 *            --node-options "<flags>"   (the OCPP replica's, instead of its manifest's NODE_OPTIONS)
 *            --profile ocpp,session      (CPU profiles of those processes in the run's logs/cpuprofile-<process>)
 */
import 'reflect-metadata';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GeneratorPool, percentile } from './ocpp/pool.js';
import { goalsOf, markdown, text, type ConnectStep, type MeterStep, type OcppReport } from './ocpp/report.js';
import { SubgraphCaller, seedOcppData } from './ocpp/seed.js';
import { countConnected, checkApplied, OCPP_BENCH_ENV } from './ocpp/platform.js';
import {
  postgresBackends,
  ProcSampler,
  REPO_ROOT,
  RUNTIME_VERSION,
  startNode,
  stopAll,
  tail,
  waitReady,
  type GroupUsage,
} from './gateways/processes.js';
import { cpuProfileArgs, deployedNodeOptions, portsFrom, startBackend, startDatabase } from './gateways/stack.js';
import type { ClientKind } from './ocpp/charger.js';

export interface OcppBenchOptions {
  quick: boolean;
  steps: number[];
  charging: number;
  rates: number[];
  holdSeconds: number;
  meterSeconds: number;
  client: ClientKind;
  generators: number;
  basePort: number;
  budgetSeconds: number;
  embeddedPg: boolean;
  keep: boolean;
  /** Node options of the OCPP replica instead of its manifest's (experiments: `--node-options "…"`). */
  nodeOptions?: string[];
  /** Processes to run under --cpu-prof: `ocpp` and/or subgraph names (`--profile ocpp,session`). */
  profile: string[];
}

export function ocppOptions(argv: string[] = process.argv.slice(2)): OcppBenchOptions & { help: boolean } {
  const { values: args } = parseArgs({
    args: argv,
    strict: false,
    options: {
      quick: { type: 'boolean', default: false },
      steps: { type: 'string' },
      charging: { type: 'string' },
      rates: { type: 'string' },
      hold: { type: 'string' },
      'meter-seconds': { type: 'string' },
      client: { type: 'string', default: 'ws' },
      generators: { type: 'string', default: '2' },
      'ocpp-base-port': { type: 'string', default: '4800' },
      'base-port': { type: 'string' },
      budget: { type: 'string', default: '240' },
      'embedded-pg': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'node-options': { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const list = (value: unknown, fallback: number[]) => str(value)?.split(',').map(Number) ?? fallback;
  const quick = args.quick === true;
  const options = {
    quick,
    help: args.help === true,
    steps: list(args.steps, quick ? [250, 500] : [1000, 2500, 5000]),
    charging: Number(str(args.charging) ?? (quick ? 200 : 500)),
    rates: list(args.rates, quick ? [200, 500] : [500, 1000, 2000]),
    holdSeconds: Number(str(args.hold) ?? (quick ? 4 : 8)),
    meterSeconds: Number(str(args['meter-seconds']) ?? (quick ? 4 : 10)),
    client: (str(args.client) ?? 'ws') as ClientKind,
    generators: Number(str(args.generators) ?? 2),
    // Run alone, --base-port moves everything; inside `npm run bench` the OCPP part keeps ports of its own.
    basePort: Number(str(args['base-port']) ?? str(args['ocpp-base-port']) ?? 4800),
    budgetSeconds: Number(str(args.budget) ?? 240),
    embeddedPg: args['embedded-pg'] === true,
    keep: args.keep === true,
    nodeOptions: str(args['node-options'])?.split(/\s+/).filter(Boolean),
    profile: str(args.profile)?.split(',').filter(Boolean) ?? [],
  };
  for (const n of [...options.steps, ...options.rates, options.charging, options.generators, options.basePort])
    if (!Number.isInteger(n) || n < 1)
      throw new Error('steps, rates, --charging, --generators must be positive integers');
  if (!['ws', 'rpc'].includes(options.client)) throw new Error('--client is ws or rpc');
  options.steps.sort((a, b) => a - b);
  options.charging = Math.min(options.charging, options.steps[options.steps.length - 1]);
  return options;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const r1 = (n: number) => Math.round(n * 10) / 10;

/** Runs the OCPP benchmark; resolves with its report (also written to bench-results/). */
export async function runOcppBench(
  options: OcppBenchOptions,
  say: (line: string) => void = (line) => console.log(`[bench:ocpp] ${line}`),
): Promise<OcppReport> {
  const startedAt = new Date();
  const t0 = performance.now();
  const deadline = t0 + options.budgetSeconds * 1000;
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const resultsDir = path.join(REPO_ROOT, 'bench-results');
  const workDir = path.join(resultsDir, `ocpp-${stamp}`);
  const logDir = path.join(workDir, 'logs');
  await mkdir(logDir, { recursive: true });
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`;
  const loadAverage = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  say(
    `${machine}; Node ${RUNTIME_VERSION} (processes under test); load average ${loadAverage}; logs in ${path.relative(REPO_ROOT, logDir)}`,
  );
  const notes: string[] = [];
  if (os.loadavg()[0] > os.cpus().length) {
    const warning = `the machine was already busy at start (load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores): figures are low and noisy; see "other CPU %"`;
    say(`WARNING: ${warning}`);
    notes.push(warning);
  }

  const ports = portsFrom(options.basePort);
  const ocppPort = options.basePort + 20;
  const database = await startDatabase(ports.embeddedPostgres, say, options.embeddedPg);
  let pool: GeneratorPool | undefined;
  let backend: Awaited<ReturnType<typeof startBackend>> | undefined;
  const report: OcppReport = {
    meta: {
      startedAt: startedAt.toISOString(),
      machine,
      node: `Node ${RUNTIME_VERSION} (processes under test)`,
      loadAverage,
      database: database.origin,
      options: { ...options, cores: os.cpus().length },
      notes,
    },
    goals: [],
    connect: [],
    transactions: null,
    meter: [],
    applied: null,
    shutdown: null,
    ocppPeakRssMb: 0,
    ocppMetrics: [],
    totalSeconds: 0,
  };
  try {
    const ocppUrl = `http://127.0.0.1:${ocppPort}`;
    backend = await startBackend({
      ports,
      databaseUrl: database.url,
      logDir,
      workDir,
      extraEnv: { OCPP_URL: ocppUrl, OCPP_PORT: String(ocppPort), ...OCPP_BENCH_ENV },
      profile: options.profile,
    });
    say(
      `subgraphs ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${database.origin}, databases ${backend.prefix}_*)`,
    );
    const nodeArgs = options.nodeOptions ?? deployedNodeOptions('ocpp');
    const ocpp = await startNode('ocpp', 'ocpp/main.ts', {
      env: backend.env,
      nodeArgs: options.profile.includes('ocpp') ? [...nodeArgs, ...cpuProfileArgs(logDir, 'ocpp')] : nodeArgs,
      logDir,
    });
    await waitReady(ocpp, `${ocppUrl}/health/ready`, 60_000);
    const nodeOptions = nodeArgs.join(' ');
    say(`OCPP replica ready (pid ${ocpp.pid}, ${nodeOptions || 'no NODE_OPTIONS'})`);
    notes.push(
      `One OCPP replica: ocpp/main.ts under tsx, NODE_ENV=production, node ${nodeOptions} (${options.nodeOptions ? 'given with --node-options' : "its manifest's"}).`,
    );

    const caller = new SubgraphCaller(backend.subgraphUrls, backend.secrets.signing);
    const runId = randomBytes(3).toString('hex');
    const total = options.steps[options.steps.length - 1];
    const stationDatabaseUrl = new URL(database.url);
    stationDatabaseUrl.pathname = `/${backend.prefix}_station`;
    const data = await seedOcppData(
      caller,
      { stations: total, drivers: options.charging, runId, stationDatabaseUrl: stationDatabaseUrl.toString() },
      say,
    );

    pool = new GeneratorPool(options.generators, options.client, 30_000, backend.env);
    const sampler = new ProcSampler();
    sampler.track('ocpp', ocpp.pid);
    for (const [name, child] of Object.entries(backend.subgraphs)) sampler.track(`subgraph:${name}`, child.pid);
    sampler.track('stripe', backend.stripe.pid);
    pool.pids.forEach((pid, i) => sampler.track(`generator:${i}`, pid, { alone: true }));
    sampler.track('bench', process.pid, { alone: true });
    const cpu = (usage: GroupUsage[], prefix: string) =>
      r1(usage.filter((u) => u.name.startsWith(prefix)).reduce((sum, u) => sum + u.cpuPercent, 0));
    const other = (usage: GroupUsage[]) =>
      Math.max(0, r1(sampler.machineCpuPercent - usage.reduce((sum, u) => sum + u.cpuPercent, 0)));
    const rssOf = (usage: GroupUsage[]) => {
      const rss = usage.find((u) => u.name === 'ocpp')?.peakRssMbPerProcess ?? 0;
      report.ocppPeakRssMb = Math.max(report.ocppPeakRssMb, rss);
      return rss;
    };
    const endpoint = `ws://127.0.0.1:${ocppPort}/ocpp`;
    const prefix = backend.prefix;
    // A window of measurement; PostgreSQL's backends serving this run's databases are counted apart from the rest.
    const begin = () => {
      sampler.trackPids('postgres', postgresBackends(`${prefix}_`));
      sampler.begin();
    };

    // What the transactions, every MeterValues rate and the stop need at least; the connect steps get the rest.
    const reserveMs = (30 + options.rates.length * (options.meterSeconds + 6) + 15) * 1000;
    const connectDeadline = Date.now() + (deadline - reserveMs - options.holdSeconds * 1000 - performance.now());
    let connected = 0;
    for (const target of options.steps) {
      // A step: the connects, then a hold with the heartbeats flowing.
      if (Date.now() > connectDeadline) {
        notes.push(`time budget: steps from ${target} chargers on were not run`);
        break;
      }
      const before = await pool.stats();
      begin();
      const result = await pool.connect(endpoint, data.chargers.slice(connected, target), 200, connectDeadline);
      connected = target;
      const holdStart = performance.now();
      await sleep(options.holdSeconds * 1000);
      const stats = await pool.stats();
      const holdSeconds = (performance.now() - holdStart) / 1000;
      const platformConnected = await countConnected(caller, data.operatorId).catch((error: unknown) => {
        say(`station subgraph's view not available: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      });
      const usage = sampler.end();
      const step: ConnectStep = {
        target,
        attempted: result.attempted,
        newlyConnected: result.connected,
        failures: result.failures,
        connectSeconds: r1(result.elapsedMs / 1000),
        connectsPerSecond: Math.round(result.connected / Math.max(0.001, result.elapsedMs / 1000)),
        connectP50Ms: Math.round(percentile(result.connectMs, 50)),
        connectP99Ms: Math.round(percentile(result.connectMs, 99)),
        holdSeconds: r1(holdSeconds),
        open: stats.open,
        current: stats.current,
        heartbeatIntervalS: result.heartbeatIntervalS[1],
        heartbeatsPerSecond: Math.round(
          (stats.heartbeats.acked - before.heartbeats.acked) / ((performance.now() - holdStart) / 1000 || 1),
        ),
        heartbeatP99Ms: Math.round(percentile(stats.heartbeatMs, 99)),
        heartbeatFailures: stats.heartbeats.failed - before.heartbeats.failed,
        platformConnected,
        ocppPeakRssMb: rssOf(usage),
        ocppCpuPercent: cpu(usage, 'ocpp'),
        subgraphsCpuPercent: cpu(usage, 'subgraph:'),
        generatorsCpuPercent: cpu(usage, 'generator:'),
        postgresCpuPercent: cpu(usage, 'postgres'),
        otherCpuPercent: other(usage),
      };
      report.connect.push(step);
      say(
        text({ ...report, goals: [], connect: [step], meter: [], applied: null, shutdown: null })
          .split('\n')
          .pop()!,
      );
      if (step.current < step.target * 0.5) {
        notes.push(`stopped stepping at ${target}: fewer than half the chargers stayed connected`);
        break;
      }
    }

    // Transactions on the first M chargers (one driver's tag each), then MeterValues at rising rates.
    const charging = data.chargers.slice(0, Math.min(options.charging, connected));
    const started = await pool.start(
      charging.map((c, i) => ({ chargePointId: c.chargePointId, idTag: data.idTags[i], connectorId: 1 })),
      50,
      // What is left of the budget before the MeterValues rates (at least 10 s): what started by then charges.
      Date.now() +
        Math.max(
          10_000,
          deadline - performance.now() - (options.rates.length * (options.meterSeconds + 6) + 15) * 1000,
        ),
    );
    report.transactions = {
      requested: charging.length,
      started: started.started.length,
      seconds: r1(started.elapsedMs / 1000),
      failures: started.failures,
    };
    say(
      `${started.started.length}/${charging.length} transactions started in ${(started.elapsedMs / 1000).toFixed(1)} s; failures ${JSON.stringify(started.failures)}`,
    );
    const share = pool.shareOf(started.started.map((s) => s.chargePointId));
    for (const rate of started.started.length ? options.rates : []) {
      if (performance.now() + (options.meterSeconds + 5) * 1000 > deadline) {
        notes.push(`time budget: MeterValues rates from ${rate}/s on were not run`);
        break;
      }
      // Each rate starts without the previous one's backlog.
      const drained = await pool.settle(Math.min(20_000, Math.max(1000, deadline - performance.now() - 20_000)));
      if (drained.unsettled) {
        notes.push(
          `rates from ${rate}/s on were not run: ${drained.unsettled} chargers still waited for answers to the previous rate's MeterValues`,
        );
        break;
      }
      await sleep(1000);
      begin();
      const m = await pool.meter(rate, options.meterSeconds * 1000, share, 3000);
      const usage = sampler.end();
      const step: MeterStep = {
        targetRate: rate,
        charging: started.started.length,
        seconds: options.meterSeconds,
        scheduled: m.scheduled,
        acked: m.acked,
        ackedPerSecond: Math.round(m.ackedInWindow / options.meterSeconds),
        p50Ms: r1(percentile(m.latencyMs, 50)),
        p99Ms: r1(percentile(m.latencyMs, 99)),
        maxMs: Math.round(percentile(m.latencyMs, 100)),
        errors: m.errors,
        ocppPeakRssMb: rssOf(usage),
        ocppCpuPercent: cpu(usage, 'ocpp'),
        sessionCpuPercent: cpu(usage, 'subgraph:session'),
        stationCpuPercent: cpu(usage, 'subgraph:station'),
        generatorsCpuPercent: cpu(usage, 'generator:'),
        postgresCpuPercent: cpu(usage, 'postgres'),
        otherCpuPercent: other(usage),
      };
      report.meter.push(step);
      say(
        text({ ...report, goals: [], connect: [], meter: [step], applied: null, shutdown: null })
          .split('\n')
          .pop()!,
      );
      if (step.ackedPerSecond < 0.8 * rate) {
        const higher = options.rates.filter((r) => r > rate);
        if (higher.length)
          notes.push(`saturated at ${rate}/s (${step.ackedPerSecond}/s acknowledged): ${higher.join(', ')}/s not run`);
        break;
      }
    }

    if (report.meter.length) {
      // Every call answered (or 30 s), then each session against the last value its charger saw acknowledged.
      const { unsettled, lastAcked } = await pool.settle(
        Math.min(30_000, Math.max(2000, deadline - performance.now() - 10_000)),
      );
      if (unsettled)
        notes.push(`${unsettled} charging chargers still waited for answers at the applied check (not checked)`);
      await sleep(300);
      report.applied = await checkApplied(caller, data.operatorId, lastAcked).catch((error: unknown) => {
        notes.push(`applied check failed: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      });
      if (report.applied)
        say(
          `applied: ${report.applied.matching}/${report.applied.checked} sessions match their charger's last acknowledged value`,
        );
    }

    try {
      const metrics = await (await fetch(`${ocppUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
      report.ocppMetrics = metrics.split('\n').filter((l) => /^chargegraph_ocpp_\w+/.test(l) && !/_bucket\{/.test(l));
    } catch {
      notes.push('the OCPP replica did not answer /metrics at the end');
    }

    // SIGTERM with every charger connected: each must be told 1012 (service restart) to reconnect elsewhere.
    const beforeStop = await pool.stats();
    const stopAt = performance.now();
    sampler.begin();
    ocpp.process.kill('SIGTERM');
    const exitCode = await Promise.race([ocpp.exited, sleep(60_000).then(() => 'still running after 60 s')]);
    rssOf(sampler.end());
    const seconds = (performance.now() - stopAt) / 1000;
    await sleep(300);
    const afterStop = await pool.stats();
    const closeCodes: Record<string, number> = {};
    for (const [code, n] of Object.entries(afterStop.closes)) {
      const delta = n - (beforeStop.closes[code] ?? 0);
      if (delta) closeCodes[code] = delta;
    }
    report.shutdown = { connected: beforeStop.open, closeCodes, seconds: r1(seconds), exitCode };
    say(
      `graceful stop: ${beforeStop.open} connected → close codes ${JSON.stringify(closeCodes)}, exit ${exitCode} in ${seconds.toFixed(1)} s`,
    );
    if (exitCode !== '0') notes.push(`the OCPP replica's log ends with:\n${tail(ocpp.logFile, 10)}`);
  } finally {
    await pool?.close().catch(() => {});
    await stopAll();
    if (!options.keep) await backend?.dropDatabases();
    await database.stop();
  }
  report.goals = goalsOf(report);
  report.totalSeconds = Math.round((performance.now() - t0) / 1000);
  if (report.totalSeconds > options.budgetSeconds + 30)
    notes.push(`took ${report.totalSeconds} s, over its budget of ${options.budgetSeconds} s`);
  await writeFile(path.join(workDir, 'ocpp.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(path.join(workDir, 'ocpp.md'), markdown(report));
  for (const ext of ['json', 'md'])
    await copyFile(path.join(workDir, `ocpp.${ext}`), path.join(resultsDir, `ocpp-latest.${ext}`));
  console.log('');
  console.log(text(report));
  console.log('');
  say(`written: ${path.relative(REPO_ROOT, path.join(workDir, 'ocpp.md'))}, .json (and bench-results/ocpp-latest.*)`);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const options = ocppOptions();
  if (options.help) {
    const header = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0];
    console.log(header.replace(/^\/\*\*\n?|^ \* ?/gm, ''));
    process.exit(0);
  }
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      interrupted = true;
      console.log(`[bench:ocpp] ${signal}: stopping`);
      void stopAll().finally(() => process.exit(130));
    });
  try {
    await runOcppBench(options);
  } catch (error) {
    console.error(`[bench:ocpp] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  } finally {
    if (!interrupted) await stopAll();
  }
}
