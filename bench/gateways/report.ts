/** Aggregation of the rounds and the tables: JSON for machines, Markdown for the README, text for the terminal. */
import type { GroupUsage } from './processes.js';
import type { LoadResult } from './load.js';

export interface RunRecord {
  round: number;
  workload: string;
  target: string;
  result: LoadResult;
  /** Responses compared with a verified answer under load. */
  checked: number;
  /** CPU time over the run, ms: `gateway`, each subgraph by name, `postgres` (the run's backends). */
  cpuMs: Record<string, number>;
  gateway?: GroupUsage;
  subgraphsCpuPercent: number;
  stripeCpuPercent: number;
  loadGeneratorCpuPercent: number;
  /** CPU of everything else on the machine during the run (PostgreSQL, other users' processes), % of one core. */
  otherCpuPercent: number;
}

export interface Row {
  workload: string;
  target: string;
  label: string;
  rounds: number;
  /** Responses counted over all rounds. */
  requests: number;
  reqPerSec: number;
  reqPerSecMin: number;
  reqPerSecMax: number;
  p50: number;
  p99: number;
  errors: number;
  checked: number;
  /** CPU ms per response (median of the rounds): gateway, each subgraph, stack (gateway + subgraphs), postgres. */
  cpuMsPerRequest: Record<string, number>;
  gatewayProcesses: number;
  gatewayCpuPercent: number | null;
  gatewayPeakRssMb: number | null;
  subgraphsCpuPercent: number;
  loadGeneratorCpuPercent: number;
  otherCpuPercent: number;
}

export interface Ratio {
  workload: string;
  of: string;
  to: string;
  ratio: number;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const r1 = (value: number) => Math.round(value * 10) / 10;
const r2 = (value: number) => Math.round(value * 100) / 100;

/** The processes of the stack, in table order (the Stripe emulator stands in for Stripe: not part of it). */
export const STACK = ['gateway', 'operator', 'station', 'session', 'payment'] as const;

/** CPU ms per response of one run: each process, the stack's sum, and PostgreSQL's backends. */
export function perRequest(record: RunRecord): Record<string, number> {
  const n = record.result.requests || Number.NaN; // no response in the run: no figure (shown as –)
  const out: Record<string, number> = {};
  for (const name of STACK) out[name] = r2((record.cpuMs[name] ?? 0) / n);
  out.stack = r2(STACK.reduce((sum, name) => sum + (record.cpuMs[name] ?? 0), 0) / n);
  out.postgres = r2((record.cpuMs.postgres ?? 0) / n);
  return out;
}

export function aggregate(records: RunRecord[], labels: Map<string, string>): Row[] {
  const groups = new Map<string, RunRecord[]>();
  for (const record of records) {
    const key = `${record.workload}\u0000${record.target}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return [...groups.values()].map((runs) => {
    const rates = runs.map((r) => r.result.reqPerSec);
    const gateways = runs.map((r) => r.gateway).filter((g): g is GroupUsage => g !== undefined);
    return {
      workload: runs[0].workload,
      target: runs[0].target,
      label: labels.get(runs[0].target) ?? runs[0].target,
      rounds: runs.length,
      requests: runs.reduce((sum, r) => sum + r.result.requests, 0),
      reqPerSec: r1(median(rates)),
      reqPerSecMin: Math.min(...rates),
      reqPerSecMax: Math.max(...rates),
      p50: r1(median(runs.map((r) => r.result.p50))),
      p99: r1(median(runs.map((r) => r.result.p99))),
      errors: runs.reduce((sum, r) => sum + r.result.errors, 0),
      checked: runs.reduce((sum, r) => sum + r.checked, 0),
      cpuMsPerRequest: Object.fromEntries(
        [...STACK, 'stack', 'postgres'].map((name) => {
          const values = runs.map((r) => perRequest(r)[name]).filter(Number.isFinite);
          return [name, values.length ? r2(median(values)) : Number.NaN];
        }),
      ),
      gatewayProcesses: gateways.length ? Math.max(...gateways.map((g) => g.processes.length)) : 0,
      gatewayCpuPercent: gateways.length ? r1(median(gateways.map((g) => g.cpuPercent))) : null,
      gatewayPeakRssMb: gateways.length ? Math.max(...gateways.map((g) => g.peakRssMbPerProcess)) : null,
      subgraphsCpuPercent: r1(median(runs.map((r) => r.subgraphsCpuPercent))),
      loadGeneratorCpuPercent: r1(median(runs.map((r) => r.loadGeneratorCpuPercent))),
      otherCpuPercent: r1(median(runs.map((r) => r.otherCpuPercent))),
    };
  });
}

/** ours (and its variants) against every peer and against the subgraph itself. */
export function ratios(rows: Row[]): Ratio[] {
  const out: Ratio[] = [];
  const targets = [...new Set(rows.map((r) => r.target))];
  const ofs = targets.filter((t) => t === 'ours' || t.startsWith('ours-'));
  // Peers and direct; with variants of ours, also ours itself (what the variant's setting changes).
  const tos = targets.filter((t) => !ofs.includes(t) || t === 'ours');
  for (const workload of [...new Set(rows.map((r) => r.workload))]) {
    const get = (target: string) => rows.find((r) => r.workload === workload && r.target === target);
    for (const of of ofs) {
      const mine = get(of);
      if (!mine) continue;
      for (const to of tos) {
        const peer = get(to);
        if (!peer || to === of || !peer.reqPerSec) continue;
        out.push({ workload, of, to, ratio: Math.round((mine.reqPerSec / peer.reqPerSec) * 100) / 100 });
      }
    }
  }
  return out;
}

export interface ReportMeta {
  startedAt: string;
  machine: string;
  node: string;
  loadAverage: string;
  database: string;
  options: Record<string, unknown>;
  workloads: Array<{ name: string; description: string; bestCase: boolean }>;
  targets: Array<{ name: string; label: string; description: string }>;
  verification: string[];
  notes: string[];
}

const cell = (value: number | null | undefined, suffix = '') =>
  value === null || value === undefined || Number.isNaN(value) ? '–' : `${value}${suffix}`;

export function markdown(meta: ReportMeta, rows: Row[], ratioList: Ratio[]): string {
  const lines: string[] = [];
  lines.push(
    `Run ${meta.startedAt} on ${meta.machine}, ${meta.node}; load average at start ${meta.loadAverage}; ${meta.database}.`,
  );
  lines.push(
    `${meta.options.connections} connections, ${meta.options.workers} gateway worker process(es) each, ${meta.options.rounds} round(s) × ${meta.options.durationSeconds} s per cell after a ${meta.options.warmupSeconds} s warm-up; rounds interleave the targets. Median of the rounds (min–max of req/s).`,
  );
  lines.push('');
  const best = new Set(meta.workloads.filter((w) => w.bestCase).map((w) => w.name));
  const workloadLabel = (name: string) => (best.has(name) ? `${name} (best case)` : name);
  lines.push(
    '| workload | target | req/s | p50 ms | p99 ms | CPU ms/req gateway | operator | station | session | payment | stack | PostgreSQL |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const c = row.cpuMsPerRequest;
    lines.push(
      `| ${workloadLabel(row.workload)} | ${row.label} | ${row.reqPerSec} | ${row.p50} | ${row.p99} | ${row.target === 'direct' ? '–' : cell(c.gateway)} | ${cell(c.operator)} | ${cell(c.station)} | ${cell(c.session)} | ${cell(c.payment)} | ${cell(c.stack)} | ${cell(c.postgres)} |`,
    );
  }
  lines.push('');
  lines.push(
    "CPU ms per response (user + system from /proc, median of the rounds): the gateway process(es), each subgraph process, the stack (gateway + subgraphs; the Stripe emulator is left out), and the PostgreSQL backends serving the run's databases. Best case = one request sent again and again (what sharing identical requests in flight serves best); the other reads differ from one request to the next.",
  );
  lines.push('');
  lines.push('Details:');
  lines.push('');
  lines.push(
    '| query | target | req/s | (min–max) | n | checked | p50 ms | p99 ms | errors | gateway CPU % | gateway peak RSS MB/proc | subgraphs CPU % | load gen CPU % | other CPU % |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    lines.push(
      `| ${row.workload} | ${row.label} | ${row.reqPerSec} | ${row.reqPerSecMin}–${row.reqPerSecMax} | ${row.requests} | ${row.checked} | ${row.p50} | ${row.p99} | ${row.errors} | ${cell(row.gatewayCpuPercent)} | ${cell(row.gatewayPeakRssMb)} | ${row.subgraphsCpuPercent} | ${row.loadGeneratorCpuPercent} | ${row.otherCpuPercent} |`,
    );
  }
  lines.push('');
  lines.push(
    'CPU in % of one core (the machine has 200 %); other = PostgreSQL and every process not started by the benchmark; n = responses over all rounds; checked = responses compared byte for byte with a verified answer.',
  );
  if (ratioList.length) {
    lines.push('');
    const tos = [...new Set(ratioList.map((r) => r.to))];
    lines.push(`| query | of | ${tos.map((t) => `÷ ${t}`).join(' | ')} |`);
    lines.push(`|---|---|${tos.map(() => '---:').join('|')}|`);
    for (const workload of [...new Set(ratioList.map((r) => r.workload))]) {
      for (const of of [...new Set(ratioList.filter((r) => r.workload === workload).map((r) => r.of))]) {
        const values = tos.map(
          (to) => ratioList.find((r) => r.workload === workload && r.of === of && r.to === to)?.ratio,
        );
        lines.push(`| ${workload} | ${of} | ${values.map((v) => cell(v, '×')).join(' | ')} |`);
      }
    }
  }
  lines.push('');
  lines.push('Queries:');
  for (const w of meta.workloads) lines.push(`- **${w.name}**: ${w.description}`);
  lines.push('');
  lines.push('Targets:');
  for (const t of meta.targets) lines.push(`- **${t.label}** (\`${t.name}\`): ${t.description}`);
  if (meta.verification.length) {
    lines.push('');
    lines.push('Correctness:');
    for (const v of meta.verification) lines.push(`- ${v}`);
  }
  if (meta.notes.length) {
    lines.push('');
    for (const n of meta.notes) lines.push(`- ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The terminal table: fixed-width columns. */
export function text(rows: Row[], ratioList: Ratio[], bestCase: Set<string> = new Set()): string {
  const header = [
    'workload',
    'target',
    'req/s',
    'p50',
    'p99',
    'err',
    'ms/req gw',
    'operator',
    'station',
    'session',
    'payment',
    'stack',
    'PostgreSQL',
    'gw RSS MB',
    'other CPU%',
  ];
  const body = rows.map((r) => [
    bestCase.has(r.workload) ? `${r.workload} (best case)` : r.workload,
    r.label,
    String(r.reqPerSec),
    String(r.p50),
    String(r.p99),
    String(r.errors),
    r.target === 'direct' ? '–' : cell(r.cpuMsPerRequest.gateway),
    cell(r.cpuMsPerRequest.operator),
    cell(r.cpuMsPerRequest.station),
    cell(r.cpuMsPerRequest.session),
    cell(r.cpuMsPerRequest.payment),
    cell(r.cpuMsPerRequest.stack),
    cell(r.cpuMsPerRequest.postgres),
    cell(r.gatewayPeakRssMb),
    String(r.otherCpuPercent),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const format = (row: string[]) => row.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(format)];
  if (ratioList.length) {
    lines.push('');
    for (const workload of [...new Set(ratioList.map((r) => r.workload))]) {
      const parts = ratioList.filter((r) => r.workload === workload).map((r) => `${r.of}/${r.to} ${r.ratio}×`);
      lines.push(`${workload.padEnd(18)} ${parts.join('  ')}`);
    }
  }
  return lines.join('\n');
}
