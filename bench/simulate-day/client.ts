import { signDevToken, type TokenClaims } from '../../dev/tokens.js';

export interface GraphQLError {
  message: string;
  extensions?: { code?: string; [key: string]: unknown };
}

export interface Answer<T> {
  data?: T | null;
  errors?: GraphQLError[];
}

/** Codes after which the same call may simply be sent again (the platform makes every money call idempotent). */
const TRANSIENT = new Set(['PAYMENT_PROVIDER_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);

export const codeOf = (answer: Answer<unknown>): string | undefined => answer.errors?.[0]?.extensions?.code;

/** A GraphQL error a caller did not expect: the simulation stops and says which call failed. */
export class UnexpectedAnswer extends Error {
  constructor(
    what: string,
    readonly answer: Answer<unknown>,
  ) {
    super(`${what}: ${answer.errors?.map((e) => `${e.message} (${e.extensions?.code ?? '?'})`).join('; ')}`);
  }
}

/**
 * The public API as its clients use it: POSTs to the gateway with a development token per identity (signed once),
 * and sends a call again, a few times, when the answer says a provider or a subgraph was unavailable — as an app
 * would after PAYMENT_PROVIDER_UNAVAILABLE ("retrying is safe").
 */
export class PublicApi {
  private readonly tokens = new Map<string, Promise<string>>();
  /** Calls sent again after a transient answer (the injected provider faults show up here). */
  retries = 0;

  constructor(
    private readonly url: string,
    private readonly secret: string,
  ) {}

  private token(who: TokenClaims): Promise<string> {
    const key = `${who.role}:${who.sub}:${who.operatorId ?? ''}`;
    let token = this.tokens.get(key);
    if (!token) this.tokens.set(key, (token = signDevToken(who, this.secret)));
    return token;
  }

  /** One POST; the answer as it came (errors included). */
  async once<T>(who: TokenClaims, query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.token(who)}` },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    try {
      return JSON.parse(text) as Answer<T>;
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 200)}`, extensions: { code: 'HTTP' } }] };
    }
  }

  /** The call, sent again after transient answers (up to 8 times, backing off); the last answer otherwise. */
  async call<T>(who: TokenClaims, query: string, variables: Record<string, unknown> = {}): Promise<Answer<T>> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.once<T>(who, query, variables);
      const code = codeOf(answer);
      if (!code || !TRANSIENT.has(code) || attempt === 8) return answer;
      this.retries++;
      await new Promise((resolve) => setTimeout(resolve, 25 * attempt));
    }
  }

  /** The data of a call that must succeed. */
  async must<T>(who: TokenClaims, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const answer = await this.call<T>(who, query, variables);
    if (answer.errors?.length || !answer.data) throw new UnexpectedAnswer(query.slice(0, 60), answer);
    return answer.data;
  }
}
