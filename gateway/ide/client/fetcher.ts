import type { GraphiQLProps } from 'graphiql';
import { tokenStore } from './token.js';

type Fetcher = GraphiQLProps['fetcher'];
type FetcherResult = Awaited<ReturnType<Fetcher>>;

/**
 * Sends every operation (introspection included) as `POST <graphqlPath>` with a JSON body. The JSON content type is
 * not a "simple" one, so Apollo's CSRF prevention lets it through without an `apollo-require-preflight` header.
 * The token from the Authentication panel becomes `Authorization: Bearer …`; an Authorization header typed into the
 * headers editor wins over it.
 */
export function createFetcher(graphqlPath: string): Fetcher {
  return async (params, options) => {
    const headers = new Headers({
      accept: 'application/graphql-response+json, application/json',
      'content-type': 'application/json',
    });
    const token = tokenStore.get();
    if (token) headers.set('authorization', `Bearer ${token}`);
    for (const [name, value] of Object.entries(options?.headers ?? {})) {
      if (value !== undefined && value !== null) headers.set(name, String(value));
    }
    let response: Response;
    try {
      response = await fetch(graphqlPath, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          query: params.query,
          operationName: params.operationName ?? undefined,
          variables: params.variables,
        }),
        credentials: 'same-origin',
      });
    } catch (error) {
      return failure(`The gateway could not be reached: ${(error as Error).message}`);
    }
    const text = await response.text();
    try {
      return JSON.parse(text) as FetcherResult;
    } catch {
      return failure(`HTTP ${response.status} ${response.statusText}: ${text.slice(0, 500)}`);
    }
  };
}

function failure(message: string): FetcherResult {
  return { errors: [{ message }] } as unknown as FetcherResult;
}
