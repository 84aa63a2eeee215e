import { Arg, Ctx, Directive, FieldResolver, Resolver, Root } from 'type-graphql';
import { requireAnalyticsAccess } from '../../../platform/subgraph/analytics/access.js';
import { AnalyticsBucket, AnalyticsPeriod, checkPeriod } from '../../../platform/subgraph/analytics/period.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Operator, Station } from '../references.js';
import { EnergyStats, Utilisation } from './analytics.types.js';
import { energyByOperator, energyByStation, utilisationByStation } from './analytics.service.js';

/*
 * Analytics fields this subgraph adds to entities others own. All nullable: if this subgraph is down or the caller
 * may not see them, the rest of the operator or station still answers.
 */

const BUCKET_DESCRIPTION =
  'Without a bucket: one row for the whole period. With one: a row per bucket that had sessions, oldest first.';

@Resolver(() => Operator)
export class OperatorEnergyResolver {
  @FieldResolver(() => [EnergyStats], {
    nullable: true,
    description: `Sessions, energy and averages of the operator's completed sessions that started in the period. ${BUCKET_DESCRIPTION} Analysts, platform admins, the operator's admins.`,
  })
  energy(
    @Root() operator: Operator,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Arg('bucket', () => AnalyticsBucket, { nullable: true }) bucket: AnalyticsBucket | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<EnergyStats[]> {
    requireAnalyticsAccess(ctx.identity, operator.id);
    return ctx.loader(energyByOperator).load({ id: operator.id, args: { period: checkPeriod(period), bucket } });
  }
}

@Resolver(() => Station)
export class StationAnalyticsResolver {
  @FieldResolver(() => [EnergyStats], {
    nullable: true,
    description: `Sessions, energy and averages of the station's completed sessions that started in the period. ${BUCKET_DESCRIPTION} Analysts, platform admins, the operator's admins.`,
  })
  @Directive('@requires(fields: "operator { id }")')
  energy(
    @Root() station: Station,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Arg('bucket', () => AnalyticsBucket, { nullable: true }) bucket: AnalyticsBucket | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<EnergyStats[]> {
    requireAnalyticsAccess(ctx.identity, required(station.operator?.id, 'operator'));
    return ctx.loader(energyByStation).load({ id: station.id, args: { period: checkPeriod(period), bucket } });
  }

  @FieldResolver(() => Utilisation, {
    nullable: true,
    description:
      "Charging hours over available connector-hours in the period, read in the station's time zone. Analysts, platform admins, the operator's admins.",
  })
  @Directive('@requires(fields: "timezone connectorCount operator { id }")')
  async utilisation(
    @Root() station: Station,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Ctx() ctx: RequestContext,
  ): Promise<Utilisation | null> {
    requireAnalyticsAccess(ctx.identity, required(station.operator?.id, 'operator'));
    return ctx.loader(utilisationByStation).load({
      id: station.id,
      period: checkPeriod(period),
      timeZone: required(station.timezone, 'timezone'),
      connectorCount: required(station.connectorCount, 'connectorCount'),
    });
  }
}

/** Fields the gateway supplies through `@requires`; missing only when someone calls `_entities` by hand. */
function required<T>(value: T | null | undefined, field: string): T {
  if (value === undefined || value === null) throw new Error(`Station.${field} (@requires) was not supplied`);
  return value;
}
