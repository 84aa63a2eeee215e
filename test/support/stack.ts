import { dropStackDatabases, startStack, type Stack, type StackOptions } from '../../dev/stack.js';
import { signDevToken, type TokenClaims } from '../../dev/tokens.js';
import { testEnv } from './config.js';

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

export interface TestStack extends Stack {
  /** POSTs an operation to the gateway over HTTP, as `who` (a token's claims) or anonymously. */
  query<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    who?: TokenClaims,
  ): Promise<GraphQLResponse<T>>;
  token(who: TokenClaims): Promise<string>;
  destroy(): Promise<void>;
}

/** The whole platform on free ports, over real HTTP, on databases of its own. */
export async function startTestStack(
  overrides: Record<string, string> = {},
  options: Pick<StackOptions, 'gatewayClock'> = {},
): Promise<TestStack> {
  const env = testEnv(overrides);
  const stack = await startStack({ env, ephemeralPorts: true, ...options });
  const token = (who: TokenClaims) => signDevToken(who, stack.config.JWT_SECRET);
  return Object.assign(stack, {
    token,
    async query<T>(query: string, variables?: Record<string, unknown>, who?: TokenClaims): Promise<GraphQLResponse<T>> {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(who ? { authorization: `Bearer ${await token(who)}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as Omit<GraphQLResponse<T>, 'status'>;
      return { status: response.status, ...body };
    },
    async destroy() {
      await stack.close();
      await dropStackDatabases(stack.config);
    },
  });
}
