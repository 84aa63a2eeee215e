/**
 * `npm run bench` — our gateway side by side with its peers, in one run on one machine.
 *
 * Runs what production runs: the compiled JS of `npm run build` (dist/, built first when missing or older than a
 * source) under plain node, with the deployment's log level, pool size and node flags, no source maps and no tsx
 * (bench/gateways/build.ts; the peers' bench-side entries are bundled to JS). Starts PostgreSQL (system or
 * embedded), the Stripe emulator and the four subgraphs once, each in its own process; seeds data through our
 * gateway; starts every gateway under test (same supergraph, same subgraphs, same number of worker processes).
 *
 * Workloads (bench/gateways/queries.ts): the best case — one request sent again and again (catalogue, history,
 * lookup) — and varied reads, where each request differs from the one before, drawn from a seeded PRNG so every
 * target gets the identical sequence: catalogue near random places and radii, lookups of random stations, 48 drivers
 * (each with their own token) reading their history or one of their sessions, admins of 12 operators reading their
 * payments; and the write mix. Each connection goes through a workload's request list from its own offset.
 *
 * Correctness first: every Nth request of each list (all of a best-case one) is asked of every target and the
 * answers compared (canonical JSON); under load, the responses to those requests must equal the verified bytes and
 * no other response may carry GraphQL errors. Then every workload against every target in interleaved rounds, with
 * CPU time from /proc of the gateway, each subgraph and the PostgreSQL backends serving the run's databases
 * (pg_stat_activity), reported as CPU ms per request. Writes bench-results/gateways-<time>/gateways.{json,md} (and
 * bench-results/gateways-latest.*, git-ignored) and prints the table; the processes' logs are in
 * bench-results/gateways-<time>/logs. The peers and autocannon are bench/'s own dependencies: `npm run bench` runs
 * bench/setup.ts first, which installs them on first use (bench/README.md).
 *
 *   npm run bench                                 # full run: 2 rounds × 3 s per cell after a 1 s warm-up
 *   npm run bench -- --quick                      # smoke: core targets, 1 round of 2 s, no warm-up, fewer drivers
 *   (on the shared 2-core machine at load 10–17: 3 targets ≈ 5.5 min, so all ≈ 11 min + OCPP ≈ 3 min; --quick ≈ 4 + 2)
 *   options: --duration <s> --warmup <s> --rounds <n> --connections <n> --workers <n> --base-port <n>
 *            --targets direct,ours,apollo,hive,hive-rust,…
 *            --workloads catalogue,history,lookup,catalogue-near,lookup-random,drivers-history,drivers-session,
 *                        operator-payments,write-mix   (--queries: the same)
 *            --profile ours,apollo   (V8 CPU profile of those gateways, written to the run's logs/ on exit)
 *            --embedded-pg           (an embedded PostgreSQL even when DATABASE_URL or the system one answers)
 *            --keep                  (keep the run's databases)
 *            --tsx                   (run the TypeScript sources under tsx instead of dist/: not what production runs)
 *            --no-ocpp               (skip the OCPP lines)
 *
 * Then the OCPP lines (bench/ocpp.ts, also `npm run bench:ocpp`): chargers one OCPP replica holds connected, and
 * MeterValues per second it acknowledges with p50/p99, beside the goals; on a stack of its own (≈ 3.5 min, --quick ≈ 1).
 */
import 'reflect-metadata';
import { mkdir, writeFile, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  canonical,
  Credentials,
  freeConnectors,
  isHangUp,
  prepareRead,
  requestOnce,
  runRead,
  runWrite,
  sampleIndexes,
  waitConnectorsAvailable,
  writeChainOnce,
  type LoadOptions,
  type LoadResult,
  type PreparedRead,
} from './gateways/load.js';
import { SUBGRAPH_NAMES } from '../platform/config.js';
import { bundlePeers, ensureBuild } from './gateways/build.js';
import { PostgresCpu, ProcSampler, REPO_ROOT, RUNTIME_VERSION, stopAll } from './gateways/processes.js';
import { workloads as allWorkloads, type Workload } from './gateways/queries.js';
import { aggregate, markdown, perRequest, ratios, text, type ReportMeta, type RunRecord } from './gateways/report.js';
import { FULL_DRIVERS, QUICK_DRIVERS, seedBenchData } from './gateways/seed.js';
import { ocppOptions, runOcppBench } from './ocpp.js';
import {
  launchTargets,
  portsFrom,
  startBackend,
  startDatabase,
  TARGETS,
  type RunningTarget,
  type TargetDefinition,
} from './gateways/stack.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string', default: '50' },
    workers: { type: 'string', default: '1' },
    'base-port': { type: 'string', default: '4700' },
    targets: { type: 'string' },
    queries: { type: 'string' },
    workloads: { type: 'string' },
    keep: { type: 'boolean', default: false },
    profile: { type: 'string' },
    'embedded-pg': { type: 'boolean', default: false },
    'no-ocpp': { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  const header = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0];
  console.log(header.replace(/^\/\*\*\n?|^ \* ?/gm, ''));
  process.exit(0);
}

const quick = args.quick;
const options = {
  durationSeconds: Number(args.duration ?? (quick ? 2 : 3)),
  warmupSeconds: Number(args.warmup ?? (quick ? 0 : 1)),
  rounds: Number(args.rounds ?? (quick ? 1 : 2)),
  connections: Number(args.connections),
  workers: Number(args.workers),
  basePort: Number(args['base-port']),
};
for (const [name, value] of Object.entries(options)) {
  if (!Number.isFinite(value) || value < (name === 'warmupSeconds' ? 0 : 1))
    throw new Error(`--${name} must be a positive number`);
}

/** --quick: the four peers and the direct calls, one short round, no warm-up beyond the correctness check. */
const QUICK_TARGETS = ['direct', 'ours', 'apollo', 'hive', 'hive-rust'];
const definitions: TargetDefinition[] = args.targets
  ? args.targets.split(',').map((name) => {
      const found = TARGETS.find((t) => t.name === name.trim());
      if (!found) throw new Error(`unknown target ${name}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
      return found;
    })
  : quick
    ? TARGETS.filter((t) => QUICK_TARGETS.includes(t.name))
    : TARGETS;
const queryNames = (args.workloads ?? args.queries)?.split(',').map((q) => q.trim());
const profile = args.profile?.split(',').map((t) => t.trim()) ?? [];

const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, '-').slice(0, 19);
const resultsDir = path.join(REPO_ROOT, 'bench-results');
const workDir = path.join(resultsDir, `gateways-${stamp}`);
const logDir = path.join(workDir, 'logs');
await mkdir(logDir, { recursive: true });
const say = (line: string) => console.log(`[bench +${Math.round((Date.now() - startedAt.getTime()) / 1000)}s] ${line}`);
const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}`;
const loadAverage = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
say(`${machine}; Node ${RUNTIME_VERSION} (processes under test); load average ${loadAverage}`);
if (os.loadavg()[0] > os.cpus().length) {
  say(
    `WARNING: the machine is already busy (load ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores): absolute figures will be low and noisy; the "other CPU %" column shows how much`,
  );
}
say(`logs in ${path.relative(REPO_ROOT, logDir)}`);

let cleanup: () => Promise<void> = stopAll;
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    say(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  if (!interrupted) await cleanup();
}

// The OCPP lines, on a stack of their own (the gateways' processes are stopped by now).
if (!interrupted && !args['no-ocpp']) {
  cleanup = stopAll;
  try {
    const report = await runOcppBench({
      ...ocppOptions(quick ? ['--quick'] : []),
      embeddedPg: args['embedded-pg'],
      keep: args.keep,
    });
    if (report.connect.length === 0 || report.meter.length === 0) process.exitCode = 1;
  } catch (error) {
    console.error(`[bench:ocpp] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  } finally {
    if (!interrupted) await stopAll();
  }
}

async function main(): Promise<void> {
  const ports = portsFrom(options.basePort);
  // What production runs: dist/'s compiled JS (built now if missing or stale) and the peers bundled to JS.
  const compiled = !args.tsx;
  if (compiled) {
    say(await ensureBuild(say));
    await bundlePeers();
  }
  const database = await startDatabase(ports.embeddedPostgres, say, args['embedded-pg']);
  const t0 = performance.now();
  const backend = await startBackend({ ports, databaseUrl: database.url, logDir, workDir, compiled });
  cleanup = async () => {
    await stopAll();
    if (!args.keep) await backend.dropDatabases();
    await database.stop();
  };
  say(
    `subgraphs and Stripe emulator ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${database.origin}, databases ${backend.prefix}_*)`,
  );

  const probe = (url: string) => async () =>
    (await requestOnce(url, { 'content-type': 'application/json' }, '{"query":"{ __typename }"}')).status === 200;
  // Ours first: the data is seeded through it, as a client would.
  const ordered = [...definitions.filter((d) => d.name === 'ours'), ...definitions.filter((d) => d.name !== 'ours')];
  const needsSeedGateway = !ordered.some((d) => d.name === 'ours');
  const seedTargets = needsSeedGateway ? [TARGETS.find((t) => t.name === 'ours')!] : [ordered[0]];
  const [seedGateway] = await launchTargets(seedTargets, backend, {
    gatewayBase: ports.gatewayBase,
    workers: 1,
    logDir,
    probe,
    profile,
  });
  const slotsWanted = options.connections + 10;
  const data = await seedBenchData(
    seedGateway.url,
    backend.secrets.jwt,
    slotsWanted,
    say,
    quick ? QUICK_DRIVERS : FULL_DRIVERS,
  );
  if (needsSeedGateway) await seedGateway.child?.stop();

  const rest = needsSeedGateway ? ordered : ordered.slice(1);
  const t1 = performance.now();
  const launched = await launchTargets(rest, backend, {
    gatewayBase: ports.gatewayBase + 1,
    workers: options.workers,
    logDir,
    probe,
    profile,
  });
  // Ours with the run's worker count (it seeded with one worker).
  let targets: RunningTarget[] = launched;
  if (!needsSeedGateway) {
    if (options.workers !== 1) {
      await seedGateway.child?.stop();
      const [again] = await launchTargets(seedTargets, backend, {
        gatewayBase: ports.gatewayBase,
        workers: options.workers,
        logDir,
        probe,
        profile,
      });
      targets = [again, ...launched];
    } else {
      targets = [seedGateway, ...launched];
    }
  }
  targets = definitions.map((d) => targets.find((t) => t.name === d.name)!);
  say(`gateways ready in ${((performance.now() - t1) / 1000).toFixed(1)} s: ${targets.map((t) => t.name).join(', ')}`);

  const workloads = allWorkloads(data).filter((w) => !queryNames || queryNames.includes(w.name));
  const credentials = new Credentials(backend);
  const applicable = (w: Workload, t: RunningTarget) =>
    (t.kind === 'gateway' && !(t.readsOnly && w.kind === 'write')) ||
    (t.kind === 'direct' && w.kind === 'read' && w.direct !== undefined);

  // Correctness first: the same answers everywhere, and each target's exact bodies for the checks under load. Of a
  // varied list, every Nth request (sampleIndexes) is asked of every target; the best case's one request always.
  const verification: string[] = [];
  const firstAnswers: Array<{ workload: string; target: string; coldMs: number; warmMs: number }> = [];
  const prepared = new Map<string, PreparedRead>();
  const expected = new Map<string, Map<number, string>>();
  const retried: string[] = [];
  const cellKey = (workload: Workload, target: RunningTarget) => `${workload.name}\u0000${target.name}`;
  for (const workload of workloads) {
    if (workload.kind === 'read') {
      const samples = sampleIndexes(workload.requests.length);
      const shapesOf = new Map<string, string[]>();
      let bytes = 0;
      let ids = 0;
      let empty = 0;
      for (const target of targets.filter((t) => applicable(workload, t))) {
        const read = await prepareRead(target, workload, credentials, backend);
        prepared.set(cellKey(workload, target), read);
        const bodies = new Map<number, string>();
        const shapes: string[] = [];
        for (const index of samples) {
          const send = async () => {
            const once = () => requestOnce(read.url, read.headers[index](read.bodies[index]), read.bodies[index]);
            const answer = await once();
            if (!isHangUp(answer.text)) return answer;
            retried.push(`${target.name} ${workload.name} #${index}`);
            return once();
          };
          const t0 = performance.now();
          const first = await send();
          if (index === 0) {
            // The first answer plans the query (cold caches); the second is served from the plan and document caches.
            const t1 = performance.now();
            const second = await send();
            firstAnswers.push({
              workload: workload.name,
              target: target.name,
              coldMs: Math.round(t1 - t0),
              warmMs: Math.round(performance.now() - t1),
            });
            if (first.text !== second.text)
              throw new Error(`${target.name} ${workload.name}: unstable answer: ${first.text.slice(0, 400)}`);
          }
          if (first.status !== 200)
            throw new Error(
              `${target.name} ${workload.name} #${index}: HTTP ${first.status}: ${first.text.slice(0, 400)}`,
            );
          const shape = canonical(first.text);
          if (shape.includes('"errors":["'))
            throw new Error(
              `${target.name} ${workload.name} #${index} (${read.bodies[index]}) answered with errors: ${first.text.slice(0, 400)}`,
            );
          bodies.set(index, first.text);
          shapes.push(shape);
          if (shapesOf.size === 0) {
            bytes += Buffer.byteLength(first.text);
            const found = (shape.match(/"id"/g) ?? []).length;
            ids += found;
            if (found === 0) empty++;
          }
        }
        expected.set(cellKey(workload, target), bodies);
        shapesOf.set(target.name, shapes);
      }
      const [[reference, referenceShapes]] = [...shapesOf];
      for (const [name, shapes] of shapesOf) {
        const at = shapes.findIndex((shape, i) => shape !== referenceShapes[i]);
        if (at >= 0)
          throw new Error(
            `${workload.name} request #${samples[at]} (${JSON.stringify(workload.requests[samples[at]])}): ${name}'s answer differs from ${reference}'s:\n${shapes[at].slice(0, 600)}\n${referenceShapes[at].slice(0, 600)}`,
          );
      }
      verification.push(
        workload.requests.length === 1
          ? `${workload.name}: identical data from ${[...shapesOf.keys()].join(', ')} (${bytes} bytes, ${ids} ids); every response under load byte-equal to it`
          : `${workload.name}: ${samples.length} of its ${workload.requests.length} requests (every ${samples[1] ?? 1}th) identical data from ${[...shapesOf.keys()].join(', ')} (${Math.round(bytes / samples.length)} bytes and ${Math.round(ids / samples.length)} ids on average, ${empty} empty); under load, the responses to those requests byte-equal to them`,
      );
    } else {
      let reference: string[] | undefined;
      for (const target of targets.filter((t) => applicable(workload, t))) {
        const answers = await writeChainOnce(target.url, credentials, target, workload, data.slots[0], retried);
        if (!reference) reference = answers;
        else if (JSON.stringify(reference) !== JSON.stringify(answers))
          throw new Error(
            `write-mix: ${target.name} answers ${JSON.stringify(answers)}, expected ${JSON.stringify(reference)}`,
          );
      }
      verification.push(
        `write-mix: one chain per target, identical answers once ids and times are normalised; every response under load checked for GraphQL errors`,
      );
    }
  }
  // The write chains' connectors must show AVAILABLE again before the reads are measured against their answers.
  if (workloads.some((w) => w.kind === 'write')) await waitConnectorsAvailable(backend);
  if (retried.length)
    verification.push(
      `asked again after a gateway's idle subgraph socket hung up (the subgraph's keep-alive timeout closed it as the gateway reused it): ${retried.join(', ')}`,
    );
  say(`answers verified: identical across targets${retried.length ? ` (${retried.length} asked again)` : ''}`);

  const sampler = new ProcSampler();
  for (const [name, child] of Object.entries(backend.subgraphs)) sampler.track(`subgraph:${name}`, child.pid);
  sampler.track('stripe', backend.stripe.pid);
  sampler.track('loadgen', process.pid, { alone: true });
  const postgres = new PostgresCpu(database.url, backend.prefix);
  await postgres.connect();
  const closePostgres = cleanup;
  cleanup = async () => {
    await postgres.close();
    await closePostgres();
  };

  const measure = async (
    workload: Workload,
    target: RunningTarget,
    load: LoadOptions,
  ): Promise<{ result: LoadResult; usage: ReturnType<ProcSampler['end']>; postgresCpuMs: number; checked: number }> => {
    if (target.child) sampler.track('gateway', target.child.pid);
    await postgres.begin();
    sampler.begin();
    let result: LoadResult;
    let checked = 0;
    if (workload.kind === 'read') {
      const key = cellKey(workload, target);
      const read = await runRead(prepared.get(key)!, expected.get(key)!, load);
      result = read;
      checked = read.checked;
    } else {
      result = await runWrite(target.url, credentials, target, workload, data.slots, load);
    }
    const usage = sampler.end();
    const { cpuMs: postgresCpuMs } = await postgres.end();
    sampler.untrack('gateway');
    if (workload.kind === 'write') {
      const t = performance.now();
      const freed = await freeConnectors(backend); // the chains the end of the run cut off
      const waited = await waitConnectorsAvailable(backend);
      say(
        `write run: ${freed} cut-off sessions stopped; connectors available again after ${((performance.now() - t) / 1000).toFixed(1)} s (${(waited / 1000).toFixed(1)} s waiting for the station subgraph)`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { result, usage, postgresCpuMs, checked };
  };

  const cells = workloads.flatMap((w) =>
    targets.filter((t) => applicable(w, t)).map((t) => ({ workload: w, target: t })),
  );
  const estimate =
    cells.length * (options.warmupSeconds + options.rounds * options.durationSeconds + (options.rounds + 1) * 0.8);
  say(
    `${cells.length} cells × (${options.warmupSeconds} s warm-up + ${options.rounds} × ${options.durationSeconds} s): about ${Math.round(estimate / 60)} min`,
  );

  if (options.warmupSeconds > 0) {
    for (const { workload, target } of cells)
      await measure(workload, target, { connections: options.connections, durationSeconds: options.warmupSeconds });
    say('warm-up done');
  }

  const records: RunRecord[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const workload of workloads) {
      const inRound = targets.filter((t) => applicable(workload, t));
      // Rotate the order each round, so no target always runs right after the same neighbour.
      const order = inRound.map((_, i) => inRound[(i + round - 1) % inRound.length]);
      for (const target of order) {
        const { result, usage, postgresCpuMs, checked } = await measure(workload, target, {
          connections: options.connections,
          durationSeconds: options.durationSeconds,
        });
        const cpu = (prefix: string) =>
          usage.filter((u) => u.name.startsWith(prefix)).reduce((sum, u) => sum + u.cpuPercent, 0);
        const cpuMs = (name: string) => usage.find((u) => u.name === name)?.cpuMs ?? 0;
        records.push({
          round,
          workload: workload.name,
          target: target.name,
          result,
          checked,
          cpuMs: {
            gateway: cpuMs('gateway'),
            ...Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, cpuMs(`subgraph:${name}`)])),
            postgres: postgresCpuMs,
          },
          gateway: usage.find((u) => u.name === 'gateway'),
          subgraphsCpuPercent: Math.round(cpu('subgraph:') * 10) / 10,
          stripeCpuPercent: cpu('stripe'),
          loadGeneratorCpuPercent: cpu('loadgen'),
          otherCpuPercent: Math.max(
            0,
            Math.round((sampler.machineCpuPercent - usage.reduce((sum, u) => sum + u.cpuPercent, 0)) * 10) / 10,
          ),
        });
        const errors = result.errors
          ? ` ERRORS ${JSON.stringify(result.errorDetail)}${result.firstError ? ` first: ${result.firstError}` : ''}`
          : '';
        const other = records[records.length - 1].otherCpuPercent;
        say(
          `round ${round} ${workload.name.padEnd(17)} ${target.name.padEnd(19)} ${String(result.reqPerSec).padStart(8)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms  stack ${perRequest(records[records.length - 1]).stack.toFixed(2)} ms/req  PostgreSQL ${perRequest(records[records.length - 1]).postgres.toFixed(2)} ms/req  (other CPU ${other} %)${errors}`,
        );
      }
    }
  }

  const labels = new Map(targets.map((t) => [t.name, t.label]));
  const rows = aggregate(records, labels).sort(
    (a, b) =>
      workloads.findIndex((w) => w.name === a.workload) - workloads.findIndex((w) => w.name === b.workload) ||
      targets.findIndex((t) => t.name === a.target) - targets.findIndex((t) => t.name === b.target),
  );
  const ratioList = ratios(rows);
  const errors = rows.reduce((sum, r) => sum + r.errors, 0);
  const meta: ReportMeta = {
    startedAt: startedAt.toISOString(),
    machine,
    node: `Node ${RUNTIME_VERSION} (processes under test)`,
    loadAverage,
    database: database.origin,
    options: { ...options, quick, targets: targets.map((t) => t.name), queries: workloads.map((w) => w.name) },
    workloads: workloads.map((w) => ({
      name: w.name,
      description: w.description,
      bestCase: w.kind === 'read' && w.bestCase,
    })),
    targets: targets.map((t) => ({ name: t.name, label: t.label, description: t.description })),
    verification,
    notes: [
      'Everything (load generator, gateways, four subgraphs, Stripe emulator, PostgreSQL) shares this machine: compare within a run, not across machines.',
      'Direct = the query sent straight to its only subgraph: the ceiling for a gateway on single-subgraph queries.',
      ...(errors
        ? [`**${errors} errors** under load: see the JSON for their kind.`]
        : [
            `0 errors: every checked response under load (${rows.reduce((sum, r) => sum + r.checked, 0)} of the reads') was byte-equal to the verified answer, and every write-mix response free of GraphQL errors.`,
          ]),
    ],
  };
  meta.verification.push(
    `first answer (cold: plans the query) / second answer, ms, one request at a time: ${firstAnswers.map((f) => `${f.workload} ${f.target} ${f.coldMs}/${f.warmMs}`).join('; ')}`,
  );
  const json = { meta, rows, ratios: ratioList, firstAnswers, records };
  const md = markdown(meta, rows, ratioList);
  await writeFile(path.join(workDir, 'gateways.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(path.join(workDir, 'gateways.md'), md);
  for (const ext of ['json', 'md'])
    await copyFile(path.join(workDir, `gateways.${ext}`), path.join(resultsDir, `gateways-latest.${ext}`));
  console.log('');
  console.log(text(rows, ratioList, new Set(meta.workloads.filter((w) => w.bestCase).map((w) => w.name))));
  console.log('');
  say(
    `written: ${path.relative(REPO_ROOT, path.join(workDir, 'gateways.md'))}, .json (and bench-results/gateways-latest.*)`,
  );
  if (errors) {
    say(`${errors} errors under load`);
    process.exitCode = 1;
  }
}
