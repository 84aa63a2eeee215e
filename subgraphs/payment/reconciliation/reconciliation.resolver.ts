import { Arg, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import { badInput } from '../../../platform/errors.js';
import { AnalyticsPeriod, checkPeriod } from '../../../platform/subgraph/analytics/period.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { requireOperatorAdmin, requirePlatformAdmin } from '../access.js';
import { Operator } from '../references.js';
import { ReconciliationRun } from './reconciliation.entity.js';
import type { ReconciliationPeriod, ReconciliationService } from './reconciliation.service.js';

/** One run reads every balance transaction of the period from the provider: a month at most. */
const MAX_DAYS = 31;

function reconciliationPeriod(period: AnalyticsPeriod): ReconciliationPeriod {
  const checked = checkPeriod(period);
  const days = (Date.parse(checked.to) - Date.parse(checked.from)) / 86_400_000;
  if (days > MAX_DAYS) throw badInput(`A reconciliation covers at most ${MAX_DAYS} days.`, 'period');
  return { from: checked.from, to: checked.to };
}

@Resolver(() => Operator)
export class OperatorReconciliationResolver {
  constructor(private readonly reconciliations: ReconciliationService) {}

  @FieldResolver(() => ReconciliationRun, {
    nullable: true,
    description:
      "The operator's ledger matched with the payment provider's balance transactions for a period of UTC dates [from, to): " +
      'the latest run (the nightly job runs the previous day); none yet: one is queued and the answer is QUEUED. ' +
      "The operator's admins and platform admins.",
  })
  reconciliation(
    @Root() operator: Operator,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Ctx() ctx: RequestContext,
  ): Promise<ReconciliationRun> {
    requireOperatorAdmin(ctx.identity, operator.id);
    return this.reconciliations.latestOrQueue(operator.id, reconciliationPeriod(period));
  }

  @Mutation(() => ReconciliationRun, {
    description:
      "Reconciles an operator's ledger with the payment provider for a period of UTC dates now (a new run). Platform admins.",
  })
  reconcileOperator(
    @Arg('operatorId', () => ID) operatorId: string,
    @Arg('period', () => AnalyticsPeriod) period: AnalyticsPeriod,
    @Ctx() ctx: RequestContext,
  ): Promise<ReconciliationRun> {
    requirePlatformAdmin(ctx.identity);
    return this.reconciliations.reconcile(operatorId, reconciliationPeriod(period));
  }
}
