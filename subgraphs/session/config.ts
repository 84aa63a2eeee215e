import { z } from 'zod';

const ms = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  /** A PENDING session whose charger has not confirmed the start by then is FAILED and its hold released. */
  SESSION_START_TIMEOUT_MS: ms(90_000),
  /** An ACTIVE session with no meter value and no connected charger for this long is ended from its last value. */
  SESSION_IDLE_TIMEOUT_MS: ms(15 * 60_000),
  /** No session runs longer than this; older ones are stopped and ended from their last meter value. */
  SESSION_MAX_DURATION_MS: ms(24 * 3600_000),
  /** When the cost so far reaches this share of the held amount, the hold is incremented or the charger stopped. */
  HOLD_INCREMENT_THRESHOLD_PERCENT: z.coerce.number().int().min(1).max(100).default(80),
  /** Whole-call deadline of a command to a charge point (a little above the OCPP process's own wait). */
  SESSION_CHARGER_COMMAND_TIMEOUT_MS: ms(35_000),
  /** How often an idle job worker asks pg-boss for work. */
  SESSION_JOB_POLLING_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
});

export type SessionConfig = z.infer<typeof envSchema>;

/** Reads the session subgraph's own settings once (in `provide`), from the environment the process config came from. */
export function loadSessionConfig(env: NodeJS.ProcessEnv): SessionConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new Error(
      `Invalid session configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  return parsed.data;
}
