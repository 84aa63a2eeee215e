import { z } from 'zod';

/** Settings of the live sessions (graphql-ws at /graphql); read from the gateway's environment, checked at boot. */
const envSchema = z.object({
  /** Subscriptions one WebSocket connection may hold at once (an app watches one session; a back office a few). */
  LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(1000).default(25),
  /** WebSocket connections one identity (role, subject, operator) may hold at once on one gateway process. */
  LIVE_MAX_CONNECTIONS_PER_IDENTITY: z.coerce.number().int().min(1).max(1000).default(10),
  /** Without `connection_init` (and its token) within this time the connection is closed (4408). */
  LIVE_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Ping interval; a client that does not answer with a pong within one more interval is dropped. */
  LIVE_KEEP_ALIVE_MS: z.coerce.number().int().min(1_000).max(300_000).default(15_000),
});

export type LiveSettings = z.infer<typeof envSchema>;

export function loadLiveSettings(env: NodeJS.ProcessEnv): LiveSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid configuration:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
