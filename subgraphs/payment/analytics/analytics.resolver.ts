import { Arg, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { requireAnalyticsAccess } from '../../../platform/subgraph/analytics/access.js';
import { AnalyticsBucket, AnalyticsPeriod, checkPeriod } from '../../../platform/subgraph/analytics/period.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Operator } from '../references.js';
import { PaymentStats, RevenueBucket } from './analytics.types.js';
import { paymentStatsByOperator, revenueByOperator } from './analytics.service.js';

/**
 * Money analytics this subgraph adds to `Operator`: analysts and platform admins for every operator, an operator's
 * admins for their own. Nullable, so an outage here leaves the rest of the operator readable.
 */
@Resolver(() => Operator)
export class OperatorAnalyticsResolver {
  @FieldResolver(() => [RevenueBucket], {
    nullable: true,
    description:
      'Revenue and application fees per currency of the payments captured in the period, on the local dates at their stations. ' +
      'Without a bucket: one row per currency. With one: a row per bucket and currency, oldest first (buckets without payments are left out). ' +
      "Analysts, platform admins, the operator's admins.",
  })
  revenueReport(
    @Root() operator: Operator,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Arg('bucket', () => AnalyticsBucket, { nullable: true }) bucket: AnalyticsBucket | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<RevenueBucket[]> {
    requireAnalyticsAccess(ctx.identity, operator.id);
    return ctx.loader(revenueByOperator).load({ id: operator.id, args: { period: checkPeriod(period), bucket } });
  }

  @FieldResolver(() => PaymentStats, {
    nullable: true,
    description:
      "Succeeded, declined and refunded payment attempts in the period and their rates. Analysts, platform admins, the operator's admins.",
  })
  paymentStats(
    @Root() operator: Operator,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Ctx() ctx: RequestContext,
  ): Promise<PaymentStats> {
    requireAnalyticsAccess(ctx.identity, operator.id);
    return ctx.loader(paymentStatsByOperator).load({ id: operator.id, args: checkPeriod(period) });
  }
}
