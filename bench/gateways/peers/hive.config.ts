/**
 * Hive Gateway peer (`hive-gateway supergraph <file> -c bench/gateways/peers/hive.config.ts [--hive-router-runtime]`):
 * stock CLI defaults. The one addition is what our subgraphs require of any caller: the client's bearer token is
 * verified once per client request, and each subgraph call carries the identity signed for that call's body.
 * The verified identity travels to the fetch as the (unsigned) header value, so Hive's in-flight deduplication,
 * which keys on headers, shares calls per caller as ours does; the fetch hook then signs the one call made.
 * Environment: JWT_SECRET, SUBGRAPH_SIGNING_SECRETS, HIVE_DEDUPE (on|off).
 */
import { createTokenVerifier } from '../../../gateway/auth.js';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../../../platform/identity.js';

const { JWT_SECRET, SUBGRAPH_SIGNING_SECRETS } = process.env;
if (!JWT_SECRET || !SUBGRAPH_SIGNING_SECRETS) throw new Error('JWT_SECRET and SUBGRAPH_SIGNING_SECRETS are required');
const signingSecret = SUBGRAPH_SIGNING_SECRETS.split(',')[0];
const verifyToken = createTokenVerifier({ JWT_SECRET });

/** Verified once per client request, whatever the number of subgraph fetches it makes. */
const verified = new WeakMap<Request, Promise<string>>();
const callerOf = (request: Request): Promise<string> => {
  let caller = verified.get(request);
  if (!caller) {
    caller = verifyToken(request.headers.get('authorization') ?? undefined).then((identity) =>
      JSON.stringify(identity),
    );
    verified.set(request, caller);
  }
  return caller;
};

interface FetchOptions {
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * The slice of Hive Gateway's config used here, typed locally: importing `defineConfig` from @graphql-hive/gateway
 * would pull its own @types/node 25 into this project's type check and change the global fetch types for all of it.
 */
interface HiveGatewayConfig {
  logging: 'warn';
  propagateHeaders: { fromClientToSubgraphs(payload: { request: Request }): Promise<Record<string, string>> };
  transportEntries?: Record<string, { options: { deduplicateInflightRequests: boolean } }>;
  plugins(): Array<{
    onFetch(payload: { options: FetchOptions; setOptions(options: FetchOptions): void }): Promise<void>;
  }>;
}

export const gatewayConfig: HiveGatewayConfig = {
  logging: 'warn',
  // HIVE_DEDUPE=off: every client request reaches the subgraphs (by default identical queries in flight share a call).
  ...(process.env.HIVE_DEDUPE === 'off'
    ? { transportEntries: { '*': { options: { deduplicateInflightRequests: false } } } }
    : {}),
  propagateHeaders: {
    fromClientToSubgraphs: async ({ request }) => ({ [IDENTITY_HEADER]: await callerOf(request) }),
  },
  plugins: () => [
    {
      async onFetch({ options, setOptions }) {
        const caller = options.headers?.[IDENTITY_HEADER];
        if (!caller) return;
        const body = typeof options.body === 'string' ? options.body : '';
        const token = signIdentity(JSON.parse(caller) as Identity, 'gateway', signingSecret, body);
        setOptions({ ...options, headers: { ...options.headers, [IDENTITY_HEADER]: token } });
      },
    },
  ],
};
