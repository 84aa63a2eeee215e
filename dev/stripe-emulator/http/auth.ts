import type { IncomingMessage } from 'node:http';
import { ApiError } from '../core/errors.js';
import type { AccountState, EmulatorState } from '../state/store.js';

function redact(key: string): string {
  return key.length <= 12 ? `${key.slice(0, 3)}*****` : `${key.slice(0, 8)}*****${key.slice(-4)}`;
}

function unauthorized(message: string): ApiError {
  return new ApiError(401, { type: 'invalid_request_error', message });
}

/** The secret key from `Authorization: Bearer <key>` (or HTTP basic auth, as curl -u sends it). */
function apiKeyFrom(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(/\s+/, 2);
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

/** Any test-mode secret key is the platform's key. */
export function authenticate(req: IncomingMessage): string {
  const key = apiKeyFrom(req);
  if (!key) {
    throw unauthorized(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  if (!/^sk_test_\w+$/.test(key)) throw unauthorized(`Invalid API Key provided: ${redact(key)}`);
  return key;
}

/** The account a request acts on: the platform, or the connected account named by `Stripe-Account`. */
export function resolveAccount(state: EmulatorState, apiKey: string, stripeAccount: string | undefined): AccountState {
  if (stripeAccount === undefined) return state.platform;
  const account = state.find(stripeAccount);
  if (!account) {
    throw new ApiError(403, {
      type: 'invalid_request_error',
      code: 'account_invalid',
      message: `The provided key '${redact(apiKey)}' does not have access to account '${stripeAccount}' (or that account does not exist). Application access may have been revoked.`,
    });
  }
  return account;
}
