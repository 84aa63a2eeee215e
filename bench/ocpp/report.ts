/** The OCPP benchmark's figures: the goals beside the measurements (met or not), per step, as Markdown and text. */

export interface ConnectStep {
  /** Charge points connected in total at this step. */
  target: number;
  /** Charge points connected by this step (the new ones). */
  attempted: number;
  newlyConnected: number;
  failures: Record<string, number>;
  connectSeconds: number;
  connectsPerSecond: number;
  connectP50Ms: number;
  connectP99Ms: number;
  holdSeconds: number;
  /** Open connections at the end of the hold, as the load generators see them. */
  open: number;
  /** Open and the last heartbeat acknowledged within 1.5 × the interval. */
  current: number;
  heartbeatIntervalS: number;
  heartbeatsPerSecond: number;
  heartbeatP99Ms: number;
  heartbeatFailures: number;
  /** What the platform says: charge points `connected` in the station subgraph (null: not asked at this step). */
  platformConnected: number | null;
  ocppPeakRssMb: number;
  ocppCpuPercent: number;
  subgraphsCpuPercent: number;
  generatorsCpuPercent: number;
  /** PostgreSQL backends serving this run's databases. */
  postgresCpuPercent: number;
  otherCpuPercent: number;
}

export interface MeterStep {
  targetRate: number;
  charging: number;
  seconds: number;
  scheduled: number;
  acked: number;
  ackedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: Record<string, number>;
  ocppPeakRssMb: number;
  ocppCpuPercent: number;
  sessionCpuPercent: number;
  stationCpuPercent: number;
  generatorsCpuPercent: number;
  /** PostgreSQL backends serving this run's databases. */
  postgresCpuPercent: number;
  otherCpuPercent: number;
}

export interface Goal {
  name: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface OcppReport {
  meta: {
    startedAt: string;
    machine: string;
    node: string;
    loadAverage: string;
    database: string;
    options: Record<string, unknown>;
    notes: string[];
  };
  goals: Goal[];
  connect: ConnectStep[];
  transactions: { requested: number; started: number; seconds: number; failures: Record<string, number> } | null;
  meter: MeterStep[];
  /** Each charging session's energy in the session subgraph against the last value its charger had acknowledged. */
  applied: { checked: number; matching: number; mismatches: string[] } | null;
  /** SIGTERM to the OCPP replica with every charger connected. */
  shutdown: { connected: number; closeCodes: Record<string, number>; seconds: number; exitCode: string } | null;
  ocppPeakRssMb: number;
  ocppMetrics: string[];
  totalSeconds: number;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const counts = (c: Record<string, number>) =>
  Object.keys(c).length
    ? Object.entries(c)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')
    : '0';

export function goalsOf(report: Pick<OcppReport, 'connect' | 'meter' | 'ocppPeakRssMb'>): Goal[] {
  const last = report.connect[report.connect.length - 1];
  // The 2,000/s row, else the highest rate that was run (the bench stops rising once a rate saturates).
  const at2000 = report.meter.find((m) => m.targetRate === 2000) ?? report.meter[report.meter.length - 1];
  const errors = at2000 ? Object.values(at2000.errors).reduce((a, b) => a + b, 0) : 0;
  return [
    {
      name: 'chargers connected to one replica, heartbeats flowing',
      goal: '5,000',
      measured: last ? `${last.current} of ${last.target}` : 'not run',
      met: !!last && last.target >= 5000 && last.current >= 5000,
    },
    {
      name: `MeterValues acknowledged per second (over ${at2000?.charging ?? '–'} transactions)`,
      goal: '2,000/s',
      measured: at2000
        ? `${fmt(at2000.ackedPerSecond)}/s at ${at2000.targetRate}/s offered, ${errors} errors${at2000.targetRate < 2000 ? ' (2,000/s not reached)' : ''}`
        : 'not run',
      met: !!at2000 && at2000.targetRate >= 2000 && at2000.ackedPerSecond >= 0.99 * 2000 && errors === 0,
    },
    {
      name: 'p99 acknowledgement latency at that rate',
      goal: '≤ 50 ms',
      measured: at2000 ? `${fmt(at2000.p99Ms, 1)} ms (p50 ${fmt(at2000.p50Ms, 1)} ms)` : 'not run',
      met: !!at2000 && at2000.targetRate >= 2000 && at2000.p99Ms <= 50,
    },
    {
      name: 'peak RSS of the OCPP replica (whole run)',
      goal: '≤ 300 MB',
      measured: `${fmt(report.ocppPeakRssMb, 1)} MB`,
      met: report.ocppPeakRssMb > 0 && report.ocppPeakRssMb <= 300,
    },
  ];
}

export function markdown(report: OcppReport): string {
  const { meta } = report;
  const lines: string[] = [];
  lines.push(
    `Run ${meta.startedAt} on ${meta.machine}, ${meta.node}; load average at start ${meta.loadAverage}; ${meta.database}; ${fmt(report.totalSeconds)} s in all.`,
  );
  lines.push('');
  lines.push('| goal (one OCPP replica) | goal | measured | met |');
  lines.push('|---|---:|---:|:---:|');
  for (const g of report.goals) lines.push(`| ${g.name} | ${g.goal} | ${g.measured} | ${g.met ? 'yes' : '**no**'} |`);
  lines.push('');
  lines.push(
    '| connected | new | connect s | connects/s | connect p50 / p99 ms | failures | hold s | open | heartbeats current | platform connected | heartbeat interval s | heartbeats/s | heartbeat p99 ms | OCPP RSS MB | OCPP CPU % | subgraphs CPU % | PostgreSQL CPU % | generators CPU % | other CPU % |',
  );
  lines.push('|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of report.connect)
    lines.push(
      `| ${s.target} | ${s.newlyConnected}/${s.attempted} | ${fmt(s.connectSeconds, 1)} | ${fmt(s.connectsPerSecond)} | ${fmt(s.connectP50Ms)} / ${fmt(s.connectP99Ms)} | ${counts(s.failures)} | ${fmt(s.holdSeconds)} | ${s.open} | ${s.current} | ${s.platformConnected ?? '–'} | ${s.heartbeatIntervalS} | ${fmt(s.heartbeatsPerSecond)} | ${fmt(s.heartbeatP99Ms)} | ${fmt(s.ocppPeakRssMb, 1)} | ${fmt(s.ocppCpuPercent)} | ${fmt(s.subgraphsCpuPercent)} | ${fmt(s.postgresCpuPercent)} | ${fmt(s.generatorsCpuPercent)} | ${fmt(s.otherCpuPercent)} |`,
    );
  if (report.transactions) {
    const t = report.transactions;
    lines.push('');
    lines.push(
      `Transactions: ${t.started} of ${t.requested} started at the chargers (Authorize, StartTransaction with a linked RFID tag → a session of that driver) in ${fmt(t.seconds, 1)} s; failures ${counts(t.failures)}.`,
    );
  }
  lines.push('');
  lines.push(
    '| target MeterValues/s | transactions | s | sent | acked | acked/s | p50 ms | p99 ms | max ms | errors | OCPP RSS MB | OCPP CPU % | session CPU % | station CPU % | PostgreSQL CPU % | generators CPU % | other CPU % |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const m of report.meter)
    lines.push(
      `| ${m.targetRate} | ${m.charging} | ${m.seconds} | ${m.scheduled} | ${m.acked} | ${fmt(m.ackedPerSecond)} | ${fmt(m.p50Ms, 1)} | ${fmt(m.p99Ms, 1)} | ${fmt(m.maxMs)} | ${counts(m.errors)} | ${fmt(m.ocppPeakRssMb, 1)} | ${fmt(m.ocppCpuPercent)} | ${fmt(m.sessionCpuPercent)} | ${fmt(m.stationCpuPercent)} | ${fmt(m.postgresCpuPercent)} | ${fmt(m.generatorsCpuPercent)} | ${fmt(m.otherCpuPercent)} |`,
    );
  if (report.applied) {
    lines.push('');
    lines.push(
      `Applied: ${report.applied.matching} of ${report.applied.checked} charging sessions show exactly the energy of the last MeterValues their charger had acknowledged${report.applied.mismatches.length ? ` (first mismatches: ${report.applied.mismatches.slice(0, 5).join('; ')})` : ''}.`,
    );
  }
  if (report.shutdown) {
    const s = report.shutdown;
    lines.push('');
    lines.push(
      `Graceful stop: SIGTERM with ${s.connected} chargers connected → close codes ${counts(s.closeCodes)}; exit ${s.exitCode} after ${fmt(s.seconds, 1)} s.`,
    );
  }
  lines.push('');
  lines.push(
    `CPU in % of one core (${meta.options.cores ?? 2} cores = ${Number(meta.options.cores ?? 2) * 100} %); PostgreSQL = its backends serving this run's databases; other = every other process on the machine (other users' work included). Latency: from the moment a MeterValues was due (open loop, one CALL at a time per charger, as OCPP-J requires) to its CALLRESULT, which the OCPP process sends once the value is applied to its session.`,
  );
  for (const note of meta.notes) lines.push(`- ${note}`);
  return `${lines.join('\n')}\n`;
}

export function text(report: OcppReport): string {
  const rows = [
    ['goal (one OCPP replica)', 'goal', 'measured', 'met'],
    ...report.goals.map((g) => [g.name, g.goal, g.measured, g.met ? 'yes' : 'NO']),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const format = (row: string[]) =>
    row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const lines = [format(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(format), ''];
  for (const s of report.connect)
    lines.push(
      `connect ${String(s.target).padStart(5)}: +${s.newlyConnected}/${s.attempted} in ${fmt(s.connectSeconds, 1)} s (${fmt(s.connectsPerSecond)}/s, p99 ${fmt(s.connectP99Ms)} ms), after ${fmt(s.holdSeconds)} s open ${s.open}, heartbeats current ${s.current}, platform ${s.platformConnected ?? '–'}; ${fmt(s.heartbeatsPerSecond)} heartbeats/s (p99 ${fmt(s.heartbeatP99Ms)} ms); OCPP ${fmt(s.ocppPeakRssMb, 1)} MB ${fmt(s.ocppCpuPercent)} % CPU, subgraphs ${fmt(s.subgraphsCpuPercent)} %, PostgreSQL ${fmt(s.postgresCpuPercent)} %, other ${fmt(s.otherCpuPercent)} %; failures ${counts(s.failures)}`,
    );
  for (const m of report.meter)
    lines.push(
      `meter ${String(m.targetRate).padStart(5)}/s: ${fmt(m.ackedPerSecond)}/s acked (${m.acked}/${m.scheduled}), p50 ${fmt(m.p50Ms, 1)} ms p99 ${fmt(m.p99Ms, 1)} ms max ${fmt(m.maxMs)} ms; OCPP ${fmt(m.ocppPeakRssMb, 1)} MB ${fmt(m.ocppCpuPercent)} % CPU, session ${fmt(m.sessionCpuPercent)} %, PostgreSQL ${fmt(m.postgresCpuPercent)} %, other ${fmt(m.otherCpuPercent)} %; errors ${counts(m.errors)}`,
    );
  if (report.applied) lines.push(`applied: ${report.applied.matching}/${report.applied.checked} sessions match`);
  if (report.shutdown)
    lines.push(
      `graceful stop: ${report.shutdown.connected} connected → ${counts(report.shutdown.closeCodes)}, exit ${report.shutdown.exitCode} in ${fmt(report.shutdown.seconds, 1)} s`,
    );
  return lines.join('\n');
}
