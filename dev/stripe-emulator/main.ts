/**
 * Runs the Stripe emulator standalone: `npx tsx dev/stripe-emulator/main.ts`.
 * Environment: STRIPE_EMULATOR_PORT (default 12111), STRIPE_EMULATOR_HOST (default 127.0.0.1),
 * STRIPE_EMULATOR_WEBHOOK_URL, STRIPE_EMULATOR_WEBHOOK_SECRET, STRIPE_EMULATOR_CONNECT_WEBHOOK_SECRET,
 * STRIPE_EMULATOR_DATA_FILE (keep the state in this JSON file across restarts; default: in memory only).
 */
import { DEFAULT_PORT, PLATFORM_ACCOUNT_ID, startStripeEmulator } from './index.js';

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`STRIPE_EMULATOR_PORT must be a port number, got "${value}"`);
  }
  return port;
}

const emulator = await startStripeEmulator({
  port: portFromEnv(process.env.STRIPE_EMULATOR_PORT),
  host: process.env.STRIPE_EMULATOR_HOST || undefined,
  webhookUrl: process.env.STRIPE_EMULATOR_WEBHOOK_URL || undefined,
  webhookSecret: process.env.STRIPE_EMULATOR_WEBHOOK_SECRET || undefined,
  connectWebhookSecret: process.env.STRIPE_EMULATOR_CONNECT_WEBHOOK_SECRET || undefined,
  dataFile: process.env.STRIPE_EMULATOR_DATA_FILE || undefined,
  log: (message) => console.log(`[stripe-emulator] ${message}`),
});
console.log(`[stripe-emulator] listening on ${emulator.url} (platform account ${PLATFORM_ACCOUNT_ID})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void emulator.close().then(() => process.exit(0));
  });
}
