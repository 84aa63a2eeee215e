import type { GraphQLCall } from './seed.js';

/** Calls a GraphQL endpoint (the gateway) with a bearer token; GraphQL errors become one Error with their codes. */
export function graphqlCaller(url: string, token: string): GraphQLCall {
  return async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    let body: { data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new Error(`${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
    }
    if (body.errors?.length || !body.data)
      throw new Error(
        body.errors?.map((e) => (e.extensions?.code ? `${e.message} (${e.extensions.code})` : e.message)).join('; ') ??
          `HTTP ${response.status}`,
      );
    return body.data;
  };
}
