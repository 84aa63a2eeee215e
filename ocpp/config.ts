import { z } from 'zod';

const settingsSchema = z.object({
  /** Interval told to chargers at boot; a charger is offline 3 intervals after it was last heard. */
  OCPP_HEARTBEAT_INTERVAL_SECONDS: z.coerce.number().int().min(5).max(86_400).default(60),
  /** How long a command waits for the charger's answer. */
  OCPP_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /** How long a replica waits for another replica to say it holds the charger (else CHARGER_UNAVAILABLE). */
  OCPP_ROUTE_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).default(1_000),
  /** Messages one connection may send per window; beyond it CALLERROR, beyond twice it the socket is closed. */
  OCPP_RATE_LIMIT_MESSAGES: z.coerce.number().int().min(1).max(100_000).default(60),
  OCPP_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3_600).default(10),
  /** Failed handshakes per source address and minute before further attempts are refused (429) unchecked. */
  OCPP_LOGIN_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
  /** Meter values arriving within this tick go to the session subgraph in one call. */
  OCPP_METER_BATCH_MS: z.coerce.number().int().min(0).max(1_000).default(5),
  OCPP_METER_BATCH_MAX: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Calls of meter values under way at once; values arriving meanwhile join the next batch. With 2 the session
   *  subgraph sat idle between calls at 2,000/s (bench:ocpp --profile session); 4 kept it busy. */
  OCPP_METER_BATCH_IN_FLIGHT: z.coerce.number().int().min(1).max(64).default(4),
  /** Heartbeats (last seen) are reported at most this often; connects and disconnects at once. */
  OCPP_PRESENCE_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(2_000),
});

export type OcppSettings = z.infer<typeof settingsSchema>;

/** The OCPP process's own settings (beyond config.ts); throws one message listing every problem. */
export function loadOcppSettings(env: NodeJS.ProcessEnv): OcppSettings {
  const parsed = settingsSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `Invalid configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  return parsed.data;
}

/** Its database holds only the used-token table of signed callers (`<DATABASE_PREFIX>_ocpp`). */
export function ocppDatabaseUrl(config: { DATABASE_URL: string; DATABASE_PREFIX: string }): string {
  const url = new URL(config.DATABASE_URL);
  url.pathname = `/${config.DATABASE_PREFIX}_ocpp`;
  return url.toString();
}
