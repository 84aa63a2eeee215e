import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { Logger } from 'pino';
import { ErrorCode } from '../platform/errors.js';
import { propagateRequest } from '../platform/observability.js';
import type { GatewayContext } from './context.js';
import { isUnreachable, UPSTREAM_UNAVAILABLE } from './errors.js';
import { errorsForFailedCall } from './nulled-fields.js';
import { forCaller, type SubgraphClient } from './subgraph-client.js';
import { PARTNER_IDENTITY_HEADER, signPartnerIdentity, type PartnerSettings } from './partner-config.js';

type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;

/**
 * Calls one of our subgraphs through its SubgraphClient, on behalf of the request's caller: the client signs each
 * call for that caller (and shares identical queries in flight); this adds the request id and trace context.
 */
export class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    client: SubgraphClient,
    private readonly logger?: Logger,
  ) {
    super({ url, fetcher: client.fetch });
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    // Health checks and schema loads run without a request context: no caller, so nothing is signed.
    try {
      return await forCaller(options.context?.identity, () => super.process(options));
    } catch (error) {
      if (!('incomingRequestContext' in options) || !isUnreachable(error)) throw error;
      // Down or too slow: an error on each field this call was to fill, so the client sees what is missing.
      const errors = errorsForFailedCall(options, UPSTREAM_UNAVAILABLE);
      this.logger?.warn({ err: error, url: this.url, fields: errors.length }, 'subgraph unreachable');
      return { errors };
    }
  }

  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    propagateRequest(options); // x-request-id and the trace context, so subgraph logs and spans join the request
  }
}

/** What a client sees of any partner failure: a stable code, no partner name, no partner message. */
const PARTNER_FAILED = {
  message: 'A partner service did not answer; the rest of the result is complete.',
  extensions: { code: ErrorCode.UPSTREAM_UNAVAILABLE },
};

/**
 * Calls a partner's subgraph. A partner is outside our trust boundary, so:
 * - it gets its own deadline and a cap on calls in flight; a full partner fails at once instead of queueing our
 *   requests behind it;
 * - whatever it answers as an error (message, code, extensions, HTTP failure) reaches the client only as
 *   UPSTREAM_UNAVAILABLE on its part of the result, and is logged for us;
 * - it receives no header of ours: not our signed identity, not the client's token; only, if it has a secret, a
 *   token signed with that secret carrying the role and a pseudonym (see partner-config.ts);
 * - its cache-control headers do not shape our responses: whatever it says, an answer holding its data is never
 *   stored by a shared cache (gateway/http-caching.ts).
 * Settings are looked up per call, so a reloaded supergraph changes them without replacing the data source.
 */
export class PartnerDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private inFlight = 0;

  constructor(
    private readonly partner: string,
    url: string,
    private readonly settings: () => PartnerSettings,
    private readonly logger: Logger,
  ) {
    const fetcher: Fetcher = (input, init) =>
      fetch(input, { ...init, signal: AbortSignal.timeout(settings().timeoutMs) });
    super({ url, fetcher, honorSubgraphCacheControlHeader: false });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    for (const name of Array.from(headers, ([header]) => header)) if (name !== 'content-type') headers.delete(name);
    const token = context?.identity ? await signPartnerIdentity(this.settings(), context.identity) : undefined;
    if (token) headers.set(PARTNER_IDENTITY_HEADER, token);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    if (!('incomingRequestContext' in options)) return super.process(options); // health checks: nothing to guard
    if (this.inFlight >= this.settings().maxConcurrency) {
      this.logger.warn(
        { partner: this.partner, inFlight: this.inFlight },
        'partner at its concurrency limit; call refused',
      );
      return { errors: errorsForFailedCall(options, PARTNER_FAILED) };
    }
    // Data we cannot vouch for is never public: its part makes the whole response uncacheable.
    options.incomingRequestContext.overallCachePolicy.restrict({ maxAge: 0 });
    this.inFlight++;
    try {
      const response = await super.process(options);
      if (!response.errors?.length) return { data: response.data };
      this.logger.warn({ partner: this.partner, errors: response.errors.slice(0, 5) }, 'partner answered with errors');
      // Keep only the path, so the gateway places the failure on the partner's fields and nothing else. Without
      // data and without a path (a request it refused as a whole), every field it was to fill is missing.
      if (!response.data && response.errors.some((error) => !isPath(error.path)))
        return { errors: errorsForFailedCall(options, PARTNER_FAILED) };
      const errors = response.errors.map((error) =>
        isPath(error.path) ? { ...PARTNER_FAILED, path: error.path } : PARTNER_FAILED,
      );
      return { data: response.data, errors };
    } catch (error) {
      this.logger.warn({ partner: this.partner, err: error }, 'partner call failed');
      return { errors: errorsForFailedCall(options, PARTNER_FAILED) };
    } finally {
      this.inFlight--;
    }
  }
}

const isPath = (path: unknown): path is Array<string | number> =>
  Array.isArray(path) && path.every((segment) => typeof segment === 'string' || typeof segment === 'number');
