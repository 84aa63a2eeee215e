/**
 * The Stripe API emulator in a process of its own (so its work is not counted on the load generator), without the
 * per-request log of dev/stripe-emulator/main.ts. Environment: STRIPE_EMULATOR_PORT, STRIPE_EMULATOR_WEBHOOK_URL,
 * STRIPE_EMULATOR_WEBHOOK_SECRET, STRIPE_EMULATOR_CONNECT_WEBHOOK_SECRET.
 */
import { startStripeEmulator } from '../../dev/stripe-emulator/index.js';

const emulator = await startStripeEmulator({
  port: Number(process.env.STRIPE_EMULATOR_PORT),
  webhookUrl: process.env.STRIPE_EMULATOR_WEBHOOK_URL,
  webhookSecret: process.env.STRIPE_EMULATOR_WEBHOOK_SECRET,
  connectWebhookSecret: process.env.STRIPE_EMULATOR_CONNECT_WEBHOOK_SECRET,
  log: () => {},
});
console.log(`stripe emulator listening on ${emulator.url}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void emulator.close().then(() => process.exit(0)));
}
