import type { ServiceName, SubgraphName } from './config.js';
import { DomainError, ErrorCode } from './errors.js';
import { IDENTITY_HEADER, IdentitySigner, serviceIdentity } from './identity.js';
import { currentRequestId, forwardedHeaders } from './observability.js';

export interface EntityClientOptions {
  /** Name of the calling process (a subgraph, or the OCPP process): it becomes the service identity's subject. */
  caller: ServiceName;
  urls: Record<SubgraphName, string>;
  signingSecret: string;
  timeoutMs: number;
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } & Record<string, unknown> }>;
}

const PASSED_ON = new Set<string>(Object.values(ErrorCode).filter((c) => c !== ErrorCode.INTERNAL_SERVER_ERROR));
const isPassedOn = (code: string | undefined): code is ErrorCode => code !== undefined && PASSED_ON.has(code);

/**
 * Asks sibling subgraphs as a service identity: entities by key over the federation entity protocol (`_entities`),
 * or any query they serve. This is how a subgraph learns facts it must not take from clients.
 */
export class EntityClient {
  private readonly signer: IdentitySigner;

  constructor(private readonly options: EntityClientOptions) {
    this.signer = new IdentitySigner(`service:${options.caller}`, options.signingSecret);
  }

  async resolve<T>(owner: SubgraphName, typename: string, ids: string[], selection: string): Promise<Array<T | null>> {
    if (ids.length === 0) return [];
    const query = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
    const representations = ids.map((id) => ({ __typename: typename, id }));
    const data = await this.query<{ _entities: Array<T | null> }>(owner, query, { representations });
    return data._entities;
  }

  async resolveOne<T>(owner: SubgraphName, typename: string, id: string, selection: string): Promise<T | null> {
    const [entity] = await this.resolve<T>(owner, typename, [id], selection);
    return entity ?? null;
  }

  /** A query against one subgraph; no answer, an HTTP error or no data → UPSTREAM_UNAVAILABLE. */
  query<T>(owner: SubgraphName, query: string, variables: Record<string, unknown>): Promise<T> {
    return this.send<T>(owner, query, variables, false);
  }

  /**
   * Like `query`, but a client error the sibling answered (e.g. PAYMENT_DECLINED) comes back as that DomainError
   * (code, message and extensions), so the caller can pass it on or decide on it; anything else as in `query`.
   */
  call<T>(owner: SubgraphName, query: string, variables: Record<string, unknown>): Promise<T> {
    return this.send<T>(owner, query, variables, true);
  }

  private async send<T>(
    owner: SubgraphName,
    query: string,
    variables: Record<string, unknown>,
    keepErrors: boolean,
  ): Promise<T> {
    const body = JSON.stringify({ query, variables });
    const token = this.signer.sign(serviceIdentity(this.options.caller), body);
    let response: Response;
    try {
      response = await fetch(this.options.urls[owner], {
        method: 'POST',
        // The request id and trace context of the request being served, so the sibling's logs and spans join it.
        headers: {
          'content-type': 'application/json',
          [IDENTITY_HEADER]: token,
          ...forwardedHeaders(currentRequestId()),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch {
      throw unavailable(owner);
    }
    const answer = (await response.json().catch(() => ({}))) as GraphQLResponse<T>;
    const error = answer.errors?.[0];
    const code = error?.extensions?.code;
    if (keepErrors && !answer.data && error && isPassedOn(code)) {
      const { code: _code, ...details } = error.extensions ?? {};
      throw new DomainError(code, error.message, details);
    }
    if (!response.ok || !answer.data) throw unavailable(owner);
    return answer.data;
  }
}

const unavailable = (owner: SubgraphName) =>
  new DomainError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${owner} service did not answer; try again shortly.`);
