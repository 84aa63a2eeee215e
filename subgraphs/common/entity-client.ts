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
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

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
  async query<T>(owner: SubgraphName, query: string, variables: Record<string, unknown>): Promise<T> {
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
    if (!response.ok || !answer.data) throw unavailable(owner);
    return answer.data;
  }
}

const unavailable = (owner: SubgraphName) =>
  new DomainError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${owner} service did not answer; try again shortly.`);
