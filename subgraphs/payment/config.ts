import { z } from 'zod';

/** The emulator's default endpoint secrets (dev/stripe-emulator); never accepted in production. */
export const EMULATOR_WEBHOOK_SECRET = 'whsec_emulator_platform';
export const EMULATOR_CONNECT_WEBHOOK_SECRET = 'whsec_emulator_connect';
export const EMULATOR_SECRET_KEY = 'sk_test_emulator';

const optionalPort = z.coerce.number().int().min(1).max(65535).optional();

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\w+$/, 'must be a Stripe secret key (sk_test_… / sk_live_…)')
    .optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(8).optional(),
  STRIPE_CONNECT_WEBHOOK_SECRET: z.string().min(8).optional(),
  // Unset: the real Stripe API. Set: the local emulator (only host/port/protocol differ).
  STRIPE_API_HOST: z.string().min(1).optional(),
  STRIPE_API_PORT: optionalPort,
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  // Short enough that one timed-out attempt plus a retry fits the gateway's subgraph deadline (SUBGRAPH_TIMEOUT_MS).
  STRIPE_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  ONBOARDING_RETURN_URL: z.string().url().default('http://localhost:4000/onboarding/return'),
  ONBOARDING_REFRESH_URL: z.string().url().default('http://localhost:4000/onboarding/refresh'),
  // A pg-boss cron (minute resolution) in the payment database; `off`: this process neither schedules nor sweeps.
  SWEEPER_CRON: z
    .string()
    .trim()
    .regex(/^(off|(\S+\s+){4}\S+)$/, 'must be a 5-field cron expression or off')
    .default('* * * * *'),
  SWEEPER_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  SWEEPER_LOOKBACK_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(30 * 24 * 3600_000),
  // A refund still PENDING this long after its last change is re-read from the provider (or re-sent if it never got
  // there). Stripe confirms most card refunds within minutes; its webhooks may be lost or late.
  SWEEPER_REFUND_SETTLE_AFTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(15 * 60_000),
  // The nightly reconciliation of every operator for the previous UTC day (pg-boss cron); `off`: no nightly run.
  RECONCILIATION_CRON: z
    .string()
    .trim()
    .regex(/^(off|(\S+\s+){4}\S+)$/, 'must be a 5-field cron expression or off')
    .default('30 2 * * *'),
  // An open dispute untouched this long is re-read from the provider (its closing event may have been lost).
  SWEEPER_DISPUTE_RECHECK_AFTER_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 3600_000),
});

export interface PaymentConfig {
  nodeEnv: 'development' | 'test' | 'production';
  stripe: {
    secretKey: string;
    webhookSecret: string;
    connectWebhookSecret: string;
    /** Only set when talking to the emulator (or a proxy). */
    api?: { host: string; port?: number; protocol?: 'http' | 'https' };
    timeoutMs: number;
    maxNetworkRetries: number;
  };
  onboarding: { returnUrl: string; refreshUrl: string };
  /** `cron` null: off in this process. */
  sweeper: {
    cron: string | null;
    graceMs: number;
    lookbackMs: number;
    refundSettleAfterMs: number;
    disputeRecheckAfterMs: number;
  };
  /** `cron` null: no nightly run from this process (on-demand runs are still worked). */
  reconciliation: { cron: string | null };
}

/**
 * Reads the payment subgraph's own settings once (in `provide`). Outside production the emulator's key and secrets
 * are the defaults; production must name real ones and refuses the emulator's.
 */
export function loadPaymentConfig(env: NodeJS.ProcessEnv): PaymentConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      `Invalid payment configuration:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production) {
    const problems: string[] = [];
    if (!e.STRIPE_SECRET_KEY || e.STRIPE_SECRET_KEY === EMULATOR_SECRET_KEY)
      problems.push('STRIPE_SECRET_KEY is required');
    if (!e.STRIPE_WEBHOOK_SECRET || e.STRIPE_WEBHOOK_SECRET === EMULATOR_WEBHOOK_SECRET)
      problems.push('STRIPE_WEBHOOK_SECRET is required');
    if (!e.STRIPE_CONNECT_WEBHOOK_SECRET || e.STRIPE_CONNECT_WEBHOOK_SECRET === EMULATOR_CONNECT_WEBHOOK_SECRET)
      problems.push('STRIPE_CONNECT_WEBHOOK_SECRET is required');
    if (problems.length)
      throw new Error(`Refusing to start the payment subgraph in production:\n  ${problems.join('\n  ')}`);
  }
  if (env.SWEEPER_INTERVAL_MS !== undefined) {
    throw new Error(
      'Invalid payment configuration:\n  SWEEPER_INTERVAL_MS was replaced by SWEEPER_CRON (a cron expression, or off)',
    );
  }
  if (e.STRIPE_API_HOST === undefined && (e.STRIPE_API_PORT !== undefined || e.STRIPE_API_PROTOCOL !== undefined)) {
    throw new Error('Invalid payment configuration:\n  STRIPE_API_PORT/STRIPE_API_PROTOCOL need STRIPE_API_HOST');
  }
  return {
    nodeEnv: e.NODE_ENV,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY ?? EMULATOR_SECRET_KEY,
      webhookSecret: e.STRIPE_WEBHOOK_SECRET ?? EMULATOR_WEBHOOK_SECRET,
      connectWebhookSecret: e.STRIPE_CONNECT_WEBHOOK_SECRET ?? EMULATOR_CONNECT_WEBHOOK_SECRET,
      api: e.STRIPE_API_HOST
        ? { host: e.STRIPE_API_HOST, port: e.STRIPE_API_PORT, protocol: e.STRIPE_API_PROTOCOL }
        : undefined,
      timeoutMs: e.STRIPE_TIMEOUT_MS,
      maxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
    },
    onboarding: { returnUrl: e.ONBOARDING_RETURN_URL, refreshUrl: e.ONBOARDING_REFRESH_URL },
    sweeper: {
      cron: e.SWEEPER_CRON === 'off' ? null : e.SWEEPER_CRON,
      graceMs: e.SWEEPER_GRACE_MS,
      lookbackMs: e.SWEEPER_LOOKBACK_MS,
      refundSettleAfterMs: e.SWEEPER_REFUND_SETTLE_AFTER_MS,
      disputeRecheckAfterMs: e.SWEEPER_DISPUTE_RECHECK_AFTER_MS,
    },
    reconciliation: { cron: e.RECONCILIATION_CRON === 'off' ? null : e.RECONCILIATION_CRON },
  };
}
