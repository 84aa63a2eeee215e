/**
 * An example partner: a reviews service run by someone else. It knows nothing of ChargeGraph's code — only the
 * published contract — and is written the way a partner would: plain @apollo/subgraph over its own SDL
 * (reviews.graphql), its own in-memory data, and a check of the identity header ChargeGraph signs with the secret
 * the two share. Tests can make it slow or failing, and read the headers it received.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { jwtVerify, type JWTPayload } from 'jose';

export interface PartnerCall {
  headers: IncomingHttpHeaders;
  /** The caller as ChargeGraph described it, verified with the partner's secret. */
  identity?: JWTPayload;
  identityError?: string;
}

export interface Review {
  id: string;
  text: string;
  stars: number;
}

export interface ReviewsPartner {
  url: string;
  sdl: string;
  calls: PartnerCall[];
  /** Resolver calls started and not yet finished. */
  pending: number;
  behaviour: { delayMs: number; failWith?: string };
  addReview(stationId: string, text: string, stars: number): void;
  rate(operatorId: string, rating: number): void;
  close(): Promise<void>;
}

export async function startReviewsPartner({
  name = 'reviews',
  secret,
}: { name?: string; secret?: string } = {}): Promise<ReviewsPartner> {
  const sdl = await readFile(new URL('reviews.graphql', import.meta.url), 'utf8');
  const reviews = new Map<string, Review[]>();
  const ratings = new Map<string, number>();

  const partner: Omit<ReviewsPartner, 'url' | 'close'> = {
    sdl,
    calls: [],
    pending: 0,
    behaviour: { delayMs: 0 },
    addReview: (stationId, text, stars) =>
      reviews.set(stationId, [{ id: `r${reviews.size + 1}`, text, stars }, ...(reviews.get(stationId) ?? [])]),
    rate: (operatorId, rating) => void ratings.set(operatorId, rating),
  };

  /** Slow or failing on demand; the failure carries details a partner should never see leak to end users. */
  async function behave(): Promise<void> {
    partner.pending++;
    try {
      if (partner.behaviour.delayMs) await new Promise((resolve) => setTimeout(resolve, partner.behaviour.delayMs));
      if (partner.behaviour.failWith)
        throw new GraphQLError(partner.behaviour.failWith, {
          extensions: { code: 'FORBIDDEN', internal: 'reviews-db-7' },
        });
    } finally {
      partner.pending--;
    }
  }

  const schema = buildSubgraphSchema({
    typeDefs: parse(sdl),
    resolvers: {
      Station: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        reviews: async ({ id }: { id: string }) => (await behave(), reviews.get(id) ?? []),
      },
      Operator: {
        __resolveReference: ({ id }: { id: string }) => ({ id }),
        rating: async ({ id }: { id: string }) => (await behave(), ratings.get(id) ?? null),
      },
    },
  });
  const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      const call: PartnerCall = { headers: req.headers };
      const token = req.headers['x-chargegraph-partner-identity'];
      if (secret && typeof token === 'string') {
        try {
          call.identity = (
            await jwtVerify(token, new TextEncoder().encode(secret), { audience: name, issuer: 'chargegraph' })
          ).payload;
        } catch (error) {
          call.identityError = error instanceof Error ? error.message : String(error);
        }
      }
      partner.calls.push(call);
      return {};
    },
  });
  return Object.assign(partner, { url, close: () => server.stop() });
}
