/**
 * Baseline peer: a stock `@apollo/gateway` + Apollo Server (`startStandaloneServer`) with default options on the
 * benchmark's supergraph. The one addition is what our subgraphs require of any caller: the client's bearer token
 * is verified once per request, and each subgraph call carries the identity signed for that call's body.
 * Environment: PORT, SUPERGRAPH_FILE, JWT_SECRET, SUBGRAPH_SIGNING_SECRETS.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createTokenVerifier } from '../../../gateway/auth.js';
import { IDENTITY_HEADER, signIdentity, type Identity } from '../../../platform/identity.js';

interface Context {
  identity: Identity;
}

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
const { PORT, SUPERGRAPH_FILE, JWT_SECRET, SUBGRAPH_SIGNING_SECRETS } = process.env;
if (!PORT || !SUPERGRAPH_FILE || !JWT_SECRET || !SUBGRAPH_SIGNING_SECRETS)
  throw new Error('PORT, SUPERGRAPH_FILE, JWT_SECRET and SUBGRAPH_SIGNING_SECRETS are required');
const signingSecret = SUBGRAPH_SIGNING_SECRETS.split(',')[0];
const verifyToken = createTokenVerifier({ JWT_SECRET });

class SignedDataSource extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    if (!context?.identity) return;
    // The body exactly as RemoteGraphQLDataSource serialises it next (query first, then the rest, without http).
    const { query, http: _http, ...rest } = request;
    request.http?.headers.set(
      IDENTITY_HEADER,
      signIdentity(context.identity, 'gateway', signingSecret, JSON.stringify({ query, ...rest })),
    );
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(SUPERGRAPH_FILE, 'utf8'),
  buildService: ({ url }) => new SignedDataSource({ url }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ identity: await verifyToken(req.headers.authorization) }),
});
console.log(`stock @apollo/gateway listening on ${url}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void server.stop().then(() => process.exit(0)));
}
