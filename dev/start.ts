/**
 * `npm start`: the whole platform on this machine with no configuration.
 * Embedded PostgreSQL (data in .data/postgres) unless DATABASE_URL is set; the local Stripe emulator unless
 * STRIPE_SECRET_KEY is set; migrations; demo data once; four subgraphs, the OCPP endpoint and the gateway; a simulated
 * charger per demo station; a driver's journey through one of them as an example (if it cannot run, one line says
 * why and the platform serves anyway); the URL and development tokens. Ctrl-C stops everything.
 */
import 'reflect-metadata';
import Stripe from 'stripe';
import { loadConfig } from '../platform/config.js';
import { Role } from '../platform/identity.js';
import { startChargerFleet, type ChargerFleet } from './charger/fleet.js';
import { JourneySkipped, runDemoJourney } from './demo.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { graphqlCaller } from './graphql-call.js';
import {
  demoStations,
  onboardOperators,
  SEED_ADMIN,
  seedDemoData,
  waitUntilPayable,
  type GraphQLCall,
} from './seed.js';
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
const caller = async (who: TokenClaims): Promise<GraphQLCall> =>
  graphqlCaller(stack.gatewayUrl, await signDevToken(who, config.JWT_SECRET));
const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
// From here on the platform serves whatever happens to the demo around it.
process.on('unhandledRejection', (error) => say(`unexpected error (still serving): ${oneLine(error)}`));

const admin = await caller(SEED_ADMIN);
const { seeded, operatorIds } = await seedDemoData(admin);
say(seeded ? `seeded demo data: ${operatorIds.length} operators with stations` : 'demo data already present');
const operatorAdminClaims: TokenClaims = {
  role: Role.OPERATOR_ADMIN,
  sub: 'dev-operator-admin',
  operatorId: operatorIds[0],
};

// A simulated charge point per demo station, connected like a real one (registered, with its own password).
// The stack's OCPP process (its HTTP URL; charge points use ws:// on the same port); the configured port otherwise.
const ocppHttpUrl =
  'ocppUrl' in stack && typeof stack.ocppUrl === 'string' ? stack.ocppUrl : `http://127.0.0.1:${config.OCPP_PORT}`;
const ocppUrl = `${ocppHttpUrl.replace(/^http/, 'ws')}/ocpp`;
let fleet: ChargerFleet | undefined;
let journeyOperatorId = operatorIds[0];
try {
  const stations = await demoStations(admin);
  journeyOperatorId = stations[0]?.operatorId ?? journeyOperatorId;
  // Their memory (meter registers, open transactions) is kept beside the data, so a killed run's sessions get ended.
  fleet = await startChargerFleet(admin, { ocppUrl, stations, stateDir: env.CHARGER_STATE_DIR ?? '.data/chargers' });
  const v16 = fleet.chargers.filter((c) => c.charger.protocol === 'ocpp1.6').length;
  say(
    `${fleet.chargers.length} simulated chargers connected to ${ocppUrl} (${v16} OCPP 1.6, ${fleet.chargers.length - v16} OCPP 2.0.1); one more by hand: npm run charger -- --station <id>`,
  );
  if (fleet.problems.length)
    say(`  ${fleet.problems.length} not started, e.g. ${fleet.problems[0].replace(/\s*\n\s*/g, ' ')}`);
} catch (error) {
  say(`simulated chargers not started: ${oneLine(error)}`);
}

if (emulator) {
  try {
    await onboardOperators(admin, operatorIds);
    await waitUntilPayable(admin, operatorIds);
    if (!fleet?.chargers.length) throw new JourneySkipped('no simulated charger is running');
    // A driver of its own per run: a session a killed earlier run left open belongs to another driver.
    const driver = await caller({ role: Role.DRIVER, sub: `demo-driver-${Date.now().toString(36)}` });
    const journey = await runDemoJourney(driver, journeyOperatorId, fleet);
    const stripe = new Stripe(env.STRIPE_SECRET_KEY!, emulator.clientOptions);
    const accounts = await stripe.accounts.list({ limit: 100 });
    const account = accounts.data.find((a) => a.metadata?.operatorId === journeyOperatorId);
    const { amount, currency } = journey.payment.amount;
    const balance = account ? emulator.balanceOf(account.id, currency) : undefined;
    say(
      `example journey: a driver charged ${journey.energyWh / 1000} kWh at "${journey.stationName}" through charger ${journey.chargePointId} (${journey.protocol}) (hold ${journey.holdAmount} → charged ${amount} ${currency} minor units, payment ${journey.payment.status})`,
    );
    say(
      `  the money landed on the operator's own account ${account?.id ?? '?'}: available balance ${balance?.available ?? '?'} ${currency} (after Stripe's fees); the platform took ${journey.payment.applicationFee.amount}`,
    );
  } catch (error) {
    say(
      error instanceof JourneySkipped
        ? `example journey skipped: ${oneLine(error)}`
        : `example journey failed (the platform serves anyway): ${oneLine(error)}`,
    );
  }
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
    await fleet?.close();
    await stack.close();
    await emulator?.close();
    await database?.stop();
    process.exit(0);
  });
}
