import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayContext } from './context.js';

type LoadResult = Awaited<ReturnType<ApolloGateway['load']>>;
type Executor = LoadResult['executor'];
type ExecutionResult = Awaited<ReturnType<Executor>>;
type CachePolicy = Parameters<Executor>[0]['overallCachePolicy'];

/** One execution in flight and the cache policy its subgraph calls build up (on the first request's context). */
interface Shared {
  result: Promise<ExecutionResult>;
  policy: CachePolicy;
}

/**
 * The gateway as Apollo Server sees it: @apollo/gateway, whose executor lets identical queries in flight at the same
 * time for the same caller share one execution (one query plan run, one set of subgraph calls, one result).
 * Same caller means same role, subject and operator: what each may see is decided by exactly those. The shared
 * result is only read afterwards (serialised per request), never changed. Mutations always run on their own.
 * Everything before execution — parsing, validation, the hardening rules, the rate limit — still runs per request.
 * Each request that shared an execution gets its cache policy too (only the first one's context saw the subgraphs'
 * Cache-Control headers), so a crowd of identical anonymous GETs is answered cacheable, not just its first.
 */
export class CoalescingGateway {
  private readonly inFlight = new Map<string, Shared>();

  constructor(
    private readonly inner: ApolloGateway,
    private readonly enabled: boolean,
  ) {}

  async load(options?: Parameters<ApolloGateway['load']>[0]): Promise<LoadResult> {
    const loaded = await this.inner.load(options);
    return this.enabled ? { ...loaded, executor: this.coalesce(loaded.executor) } : loaded;
  }

  onSchemaLoadOrUpdate(
    callback: Parameters<ApolloGateway['onSchemaLoadOrUpdate']>[0],
  ): ReturnType<ApolloGateway['onSchemaLoadOrUpdate']> {
    return this.inner.onSchemaLoadOrUpdate(callback);
  }

  stop(): Promise<void> {
    return this.inner.stop();
  }

  private coalesce(execute: Executor): Executor {
    return async (requestContext) => {
      if (requestContext.operation.operation !== 'query') return execute(requestContext);
      const { role, sub, operatorId } = (requestContext.context as GatewayContext).identity;
      const key = JSON.stringify([
        role,
        sub,
        operatorId,
        requestContext.queryHash,
        requestContext.operationName,
        requestContext.request.variables ?? {},
      ]);
      const shared = this.inFlight.get(key);
      if (!shared) {
        const result = execute(requestContext).finally(() => this.inFlight.delete(key));
        this.inFlight.set(key, { result, policy: requestContext.overallCachePolicy });
        return result;
      }
      const result = await shared.result;
      requestContext.overallCachePolicy.restrict(shared.policy);
      return result;
    };
  }
}
