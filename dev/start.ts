/**
 * `npm start`: the whole platform on this machine with no configuration.
 * Embedded PostgreSQL (data in .data/postgres) unless DATABASE_URL is set; the local Stripe emulator unless
 * STRIPE_SECRET_KEY is set; migrations; demo data once; four subgraphs and the gateway; a driver's journey as an
 * example; the URL and development tokens. Ctrl-C stops everything.
 */
import 'reflect-metadata';
import Stripe from 'stripe';
import { loadConfig } from '../subgraphs/common/config.js';
import { Role } from '../subgraphs/common/identity.js';
import { runDemoJourney } from './demo.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { onboardOperators, SEED_ADMIN, seedDemoData, waitUntilPayable, type GraphQLCall } from './seed.js';
import { startStack } from './stack.js';
import { startStripeEmulator, type StripeEmulator } from './stripe-emulator/index.js';
import { signDevToken, type TokenClaims } from './tokens.js';

const startedAt = performance.now();
const say = (line: string) => console.log(`[chargegraph] ${line}`);
const env: NodeJS.ProcessEnv = { LOG_LEVEL: 'warn', ...process.env };

let database: EmbeddedDatabase | undefined;
if (!env.DATABASE_URL) {
  const port = Number(env.EMBEDDED_PG_PORT ?? 54320);
  say(`starting embedded PostgreSQL on port ${port} (data in .data/postgres; set DATABASE_URL to use your own)`);
  database = await startEmbeddedPostgres('.data/postgres', port, say);
  env.DATABASE_URL = database.url;
}

let emulator: StripeEmulator | undefined;
if (!env.STRIPE_SECRET_KEY) {
  // Its state is kept beside PostgreSQL's, so the accounts and payments our databases refer to survive restarts.
  emulator = await startStripeEmulator({
    port: Number(env.STRIPE_EMULATOR_PORT ?? 12111),
    dataFile: env.STRIPE_EMULATOR_DATA_FILE ?? '.data/stripe-emulator.json',
  });
  say('*'.repeat(100));
  say(
    `STRIPE_SECRET_KEY is not set: payments go to the LOCAL STRIPE EMULATOR at ${emulator.url} — no real money moves.`,
  );
  say('*'.repeat(100));
  Object.assign(env, {
    STRIPE_SECRET_KEY: 'sk_test_emulator',
    STRIPE_API_HOST: emulator.clientOptions.host,
    STRIPE_API_PORT: String(emulator.clientOptions.port),
    STRIPE_API_PROTOCOL: emulator.clientOptions.protocol,
  });
}
const config = loadConfig(env);

const stack = await startStack({ env }).catch(async (error: unknown) => {
  await emulator?.close();
  await database?.stop();
  throw error;
});
emulator?.setWebhookUrl(new URL('/webhooks/stripe', stack.subgraphs.payment!.url).toString());

const tokens = {
  PLATFORM_ADMIN: await signDevToken({ role: Role.PLATFORM_ADMIN, sub: 'dev-admin' }, config.JWT_SECRET),
  DRIVER: await signDevToken({ role: Role.DRIVER, sub: 'dev-driver' }, config.JWT_SECRET),
  ANALYST: await signDevToken({ role: Role.ANALYST, sub: 'dev-analyst' }, config.JWT_SECRET),
  PARTNER: await signDevToken({ role: Role.PARTNER, sub: 'dev-partner' }, config.JWT_SECRET),
};
const caller = async (who: TokenClaims): Promise<GraphQLCall> => {
  const token = await signDevToken(who, config.JWT_SECRET);
  return async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: Array<{ message: string }> };
    if (body.errors?.length || !body.data)
      throw new Error(body.errors?.map((e) => e.message).join('; ') ?? `HTTP ${response.status}`);
    return body.data;
  };
};

const admin = await caller(SEED_ADMIN);
const { seeded, operatorIds } = await seedDemoData(admin);
say(seeded ? `seeded demo data: ${operatorIds.length} operators with stations` : 'demo data already present');
const operatorAdminClaims: TokenClaims = {
  role: Role.OPERATOR_ADMIN,
  sub: 'dev-operator-admin',
  operatorId: operatorIds[0],
};

if (emulator) {
  await onboardOperators(admin, operatorIds);
  await waitUntilPayable(admin, operatorIds);
  const journey = await runDemoJourney(
    {
      driver: await caller({ role: Role.DRIVER, sub: 'demo-driver' }),
      operatorAdmin: await caller(operatorAdminClaims),
    },
    operatorIds[0],
  );
  const stripe = new Stripe(env.STRIPE_SECRET_KEY!, emulator.clientOptions);
  const accounts = await stripe.accounts.list({ limit: 100 });
  const account = accounts.data.find((a) => a.metadata?.operatorId === operatorIds[0]);
  const { amount, currency } = journey.payment.amount;
  const balance = account ? emulator.balanceOf(account.id, currency) : undefined;
  say(
    `example journey: a driver charged ${journey.energyWh / 1000} kWh at "${journey.stationName}" (hold ${journey.holdAmount} → charged ${amount} ${currency} minor units, payment ${journey.payment.status})`,
  );
  say(
    `  the money landed on the operator's own account ${account?.id ?? '?'}: available balance ${balance?.available ?? '?'} ${currency} (after Stripe's fees); the platform took ${journey.payment.applicationFee.amount}`,
  );
}

say(`gateway: ${stack.gatewayUrl.replace('127.0.0.1', 'localhost')} — open it in a browser for the GraphQL IDE`);
say('development tokens (send as "Authorization: Bearer <token>", valid 12 h):');
for (const [role, token] of Object.entries({
  ...tokens,
  OPERATOR_ADMIN: await signDevToken(operatorAdminClaims, config.JWT_SECRET),
})) {
  console.log(`  ${role.padEnd(15)} ${token}`);
}
say(`ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s — Ctrl-C to stop`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await stack.close();
    await emulator?.close();
    await database?.stop();
    process.exit(0);
  });
}
