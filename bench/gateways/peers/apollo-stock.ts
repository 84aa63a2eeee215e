/**
 * Baseline peer: a stock `@apollo/gateway` + Apollo Server (`startStandaloneServer`) with default options on the
 * benchmark's supergraph. The one addition is what our subgraphs require of any caller: the client's bearer token
 * is verified and the identity forwarded signed (the same two calls our gateway makes, once per request).
 * Environment: PORT, SUPERGRAPH_FILE, JWT_SECRET, SUBGRAPH_SIGNING_SECRETS.
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createTokenVerifier } from '../../../gateway/auth.js';
import { IDENTITY_HEADER, signIdentity } from '../../../subgraphs/common/identity.js';

interface Context {
  identityToken: string;
}

process.env.APOLLO_TELEMETRY_DISABLED = 'true';
const { PORT, SUPERGRAPH_FILE, JWT_SECRET, SUBGRAPH_SIGNING_SECRETS } = process.env;
if (!PORT || !SUPERGRAPH_FILE || !JWT_SECRET || !SUBGRAPH_SIGNING_SECRETS) throw new Error('PORT, SUPERGRAPH_FILE, JWT_SECRET and SUBGRAPH_SIGNING_SECRETS are required');
const signingSecret = SUBGRAPH_SIGNING_SECRETS.split(',')[0];
const verifyToken = createTokenVerifier({ JWT_SECRET });

class SignedDataSource extends RemoteGraphQLDataSource<Context> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    if (context?.identityToken) request.http?.headers.set(IDENTITY_HEADER, context.identityToken);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl: readFileSync(SUPERGRAPH_FILE, 'utf8'),
  buildService: ({ url }) => new SignedDataSource({ url }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ identityToken: await signIdentity(await verifyToken(req.headers.authorization), 'gateway', signingSecret) }),
});
console.log(`stock @apollo/gateway listening on ${url}`);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void server.stop().then(() => process.exit(0)));
}
