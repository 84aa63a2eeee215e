/**
 * Hive Gateway peer (`hive-gateway supergraph <file> -c bench/gateways/peers/hive.config.ts [--hive-router-runtime]`):
 * stock CLI defaults. The one addition is what our subgraphs require of any caller: the client's bearer token is
 * verified and the identity forwarded signed (the same two calls our gateway makes, once per client request).
 * Environment: JWT_SECRET, SUBGRAPH_SIGNING_SECRETS, HIVE_DEDUPE (on|off).
 */
import { createTokenVerifier } from '../../../gateway/auth.js';
import { IDENTITY_HEADER, signIdentity } from '../../../subgraphs/common/identity.js';

const { JWT_SECRET, SUBGRAPH_SIGNING_SECRETS } = process.env;
if (!JWT_SECRET || !SUBGRAPH_SIGNING_SECRETS) throw new Error('JWT_SECRET and SUBGRAPH_SIGNING_SECRETS are required');
const signingSecret = SUBGRAPH_SIGNING_SECRETS.split(',')[0];
const verifyToken = createTokenVerifier({ JWT_SECRET });

/** Signed once per client request, whatever the number of subgraph fetches it makes. */
const signed = new WeakMap<Request, Promise<string>>();
const identityFor = (request: Request): Promise<string> => {
  let token = signed.get(request);
  if (!token) {
    token = verifyToken(request.headers.get('authorization') ?? undefined).then((identity) => signIdentity(identity, 'gateway', signingSecret));
    signed.set(request, token);
  }
  return token;
};

/**
 * The slice of Hive Gateway's config used here, typed locally: importing `defineConfig` from @graphql-hive/gateway
 * would pull its own @types/node 25 into this project's type check and change the global fetch types for all of it.
 */
interface HiveGatewayConfig {
  logging: 'warn';
  propagateHeaders: { fromClientToSubgraphs(payload: { request: Request }): Promise<Record<string, string>> };
  transportEntries?: Record<string, { options: { deduplicateInflightRequests: boolean } }>;
}

export const gatewayConfig: HiveGatewayConfig = {
  logging: 'warn',
  // HIVE_DEDUPE=off: every client request reaches the subgraphs (by default identical queries in flight share a call).
  ...(process.env.HIVE_DEDUPE === 'off' ? { transportEntries: { '*': { options: { deduplicateInflightRequests: false } } } } : {}),
  propagateHeaders: {
    fromClientToSubgraphs: async ({ request }) => ({ [IDENTITY_HEADER]: await identityFor(request) }),
  },
};
