import Stripe from 'stripe';
import type { PaymentConfig } from '../config.js';

/**
 * The official SDK, unchanged. Only host/port/protocol differ between the emulator and Stripe; built once per
 * process in `provide` and passed down (no module-level client).
 */
export function createStripeClient(config: PaymentConfig['stripe']): Stripe {
  return new Stripe(config.secretKey, {
    maxNetworkRetries: config.maxNetworkRetries,
    timeout: config.timeoutMs,
    telemetry: false,
    ...(config.api
      ? {
          host: config.api.host,
          port: config.api.port ?? (config.api.protocol === 'http' ? 80 : 443),
          protocol: config.api.protocol ?? 'https',
        }
      : {}),
  });
}
