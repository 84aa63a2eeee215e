/**
 * Process settings beyond `config.ts` (lifecycle, telemetry, migrations, listening address), and the one check a
 * process entry runs at start: every configuration reader of that process is asked, and all their problems are
 * reported together in one message, so an operator fixes a deployment in one round.
 */
import { z } from 'zod';
import { loadConfig, type Config } from './config.js';

const runtimeSchema = z.object({
  /** Address to listen on. Subgraphs default to loopback (one machine); containers set 0.0.0.0. */
  LISTEN_HOST: z.string().min(1).optional(),
  /** After SIGTERM, readiness answers 503 for this long before the listener closes (lets load balancers react). */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  /** In-flight requests get this long to finish after the listener closed; then the process exits anyway (code 1). */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** Apply this subgraph's migrations at start (default); Kubernetes runs a migration Job before rollout instead. */
  MIGRATE_ON_START: z.stringbool().default(true),
  /** Connections per process in the PostgreSQL pool. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  /** OTLP/HTTP endpoint for traces (e.g. http://otel-collector:4318); unset = no trace export. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
});

export type RuntimeConfig = z.infer<typeof runtimeSchema>;

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const parsed = runtimeSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  return parsed.data;
}

/** A configuration reader: throws an Error whose message lists its problems. */
export type ConfigReader = (env: NodeJS.ProcessEnv) => unknown;

export class ConfigurationError extends Error {}

/**
 * Reads the shared and runtime configuration, runs the process's own readers (payment settings, gateway
 * supergraph settings) on the same environment, and throws one ConfigurationError listing every problem.
 */
export function loadProcessConfig(
  env: NodeJS.ProcessEnv,
  readers: ConfigReader[] = [],
): { config: Config; runtime: RuntimeConfig } {
  const problems: string[] = [];
  const attempt = <T>(read: () => T): T | undefined => {
    try {
      return read();
    } catch (error) {
      problems.push(...problemLines(error));
      return undefined;
    }
  };
  const config = attempt(() => loadConfig(env));
  const runtime = attempt(() => loadRuntimeConfig(env));
  for (const reader of readers) attempt(() => reader(env));
  if (problems.length || !config || !runtime) {
    throw new ConfigurationError(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was started:\n${[...new Set(problems)].map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return { config, runtime };
}

/** "Invalid configuration:\n  A: x\n  B: y" → ["A: x", "B: y"]; zod's pretty "✖ msg\n  → at KEY" → "KEY: msg". */
function problemLines(error: unknown): string[] {
  const message = error instanceof Error ? error.message : String(error);
  const lines: string[] = [];
  for (const raw of message.split('\n')) {
    const line = raw.trim();
    const at = /^→ at (.+)$/.exec(line);
    if (at && lines.length) lines[lines.length - 1] = `${at[1]}: ${lines[lines.length - 1]}`;
    else if (line) lines.push(line.replace(/^[-✖]\s*/, ''));
  }
  if (lines.length > 1 && /:$/.test(lines[0])) return lines.slice(1);
  return lines.length ? lines : [message];
}
