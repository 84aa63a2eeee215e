import { z } from 'zod';

/** Development defaults: safe only on a developer machine; production refuses them (see `assertProductionSafe`). */
export const DEV_JWT_SECRET = 'chargegraph-dev-jwt-secret-change-me-0000';
export const DEV_SUBGRAPH_SECRET = 'chargegraph-dev-subgraph-secret-change-me';

export const SUBGRAPH_NAMES = ['operator', 'station', 'session', 'payment'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];
/** Processes that call subgraphs with a service identity (`Role.SERVICE`, `sub` = this name). */
export type ServiceName = SubgraphName | 'ocpp';

export const DEFAULT_PORTS: Record<SubgraphName | 'gateway' | 'ocpp', number> = {
  gateway: 4000,
  operator: 4001,
  station: 4002,
  session: 4003,
  payment: 4004,
  ocpp: 4010,
};

const port = z.coerce.number().int().min(0).max(65535);
const url = z.string().url();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: url.default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,40}$/)
    .default('chargegraph'),
  GATEWAY_PORT: port.default(DEFAULT_PORTS.gateway),
  OPERATOR_PORT: port.default(DEFAULT_PORTS.operator),
  STATION_PORT: port.default(DEFAULT_PORTS.station),
  SESSION_PORT: port.default(DEFAULT_PORTS.session),
  PAYMENT_PORT: port.default(DEFAULT_PORTS.payment),
  OPERATOR_URL: url.default(`http://127.0.0.1:${DEFAULT_PORTS.operator}/graphql`),
  STATION_URL: url.default(`http://127.0.0.1:${DEFAULT_PORTS.station}/graphql`),
  SESSION_URL: url.default(`http://127.0.0.1:${DEFAULT_PORTS.session}/graphql`),
  PAYMENT_URL: url.default(`http://127.0.0.1:${DEFAULT_PORTS.payment}/graphql`),
  /** The OCPP process: charge points connect to ws://<host>:OCPP_PORT/ocpp/<chargePointId>. */
  OCPP_PORT: port.default(DEFAULT_PORTS.ocpp),
  /** Where subgraphs send charge point commands (any replica; it routes to the one holding the connection). */
  OCPP_URL: url.default(`http://127.0.0.1:${DEFAULT_PORTS.ocpp}`),
  SUBGRAPH_SIGNING_SECRETS: z.string().min(32).default(DEV_SUBGRAPH_SECRET),
  JWT_SECRET: z.string().min(32).default(DEV_JWT_SECRET),
  JWT_JWKS_URL: url.optional(),
  JWT_ISSUER: z.string().optional(),
  JWT_AUDIENCE: z.string().optional(),
  SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** Gateway: keep-alive sockets per subgraph (calls beyond it wait for a free one). */
  SUBGRAPH_MAX_SOCKETS: z.coerce.number().int().min(1).max(1024).default(64),
  /** Gateway: identical subgraph queries in flight at once for the same caller share one call. */
  SUBGRAPH_DEDUPE: z.stringbool().default(true),
  /** Gateway: identical operations (queries) in flight at once for the same caller share one execution. */
  OPERATION_DEDUPE: z.stringbool().default(true),
  /**
   * Gateway: memory for the shared cache of anonymous public GET answers (gateway/response-cache.ts), in bytes of
   * JSON; 0 turns it off (the Cache-Control headers for CDNs and browsers stay).
   */
  RESPONSE_CACHE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .default(32 * 1024 * 1024),
  /** The browser IDE at GET / and /graphql (analysts use it in production too; turn off where unwanted). */
  IDE_ENABLED: z.stringbool().default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Env = z.infer<typeof envSchema>;

export interface Config extends Env {
  /** The environment this was read from: subgraphs read their own extra settings from it (e.g. payment's Stripe keys). */
  env: NodeJS.ProcessEnv;
  /** First secret signs, every listed secret verifies (rotation: add the new one first, drop the old one later). */
  signingSecrets: string[];
  ports: Record<SubgraphName | 'gateway' | 'ocpp', number>;
  subgraphUrls: Record<SubgraphName, string>;
}

/** Reads and validates the environment once; reports every problem in one message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  const config: Config = {
    ...e,
    env,
    signingSecrets: e.SUBGRAPH_SIGNING_SECRETS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    ports: {
      gateway: e.GATEWAY_PORT,
      operator: e.OPERATOR_PORT,
      station: e.STATION_PORT,
      session: e.SESSION_PORT,
      payment: e.PAYMENT_PORT,
      ocpp: e.OCPP_PORT,
    },
    subgraphUrls: { operator: e.OPERATOR_URL, station: e.STATION_URL, session: e.SESSION_URL, payment: e.PAYMENT_URL },
  };
  assertProductionSafe(config);
  return config;
}

function assertProductionSafe(config: Config): void {
  if (config.NODE_ENV !== 'production') return;
  const problems: string[] = [];
  if (config.JWT_SECRET === DEV_JWT_SECRET && !config.JWT_JWKS_URL)
    problems.push('JWT_SECRET is the development secret');
  if (config.signingSecrets.includes(DEV_SUBGRAPH_SECRET))
    problems.push('SUBGRAPH_SIGNING_SECRETS contains the development secret');
  if (problems.length) throw new Error(`Refusing to start in production:\n  ${problems.join('\n  ')}`);
}
