import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { badInput } from '../../../platform/errors.js';
import { Role } from '../../../platform/identity.js';
import { Money } from '../../../platform/money.js';
import { PageArgs } from '../../../platform/subgraph/pagination.js';
import { requireOperatorAdmin, requirePlatformAdmin, requireRevenueAccess } from '../access.js';
import { Operator } from '../references.js';
import { PaymentConnection } from '../payment/payment.connection.js';
import { PaymentFilter } from '../payment/payment.inputs.js';
import { RevenueByCurrency } from '../payment/payment.types.js';
import { listOperatorPayments, operatorRevenue } from '../payment/payment.reads.js';
import { OperatorPaymentAccount } from './account.entity.js';
import { SetOperatorFeePolicyInput } from './account.inputs.js';
import { OnboardingLink } from './account.types.js';
import { accountByOperator, type AccountService } from './account.service.js';

const MAX_REVENUE_RANGE_MS = 366 * 24 * 3600 * 1000;

/** Contributes the money side of `Operator`; only that operator's admins and platform admins see it. */
@Resolver(() => Operator)
export class OperatorPaymentsResolver {
  constructor(private readonly accounts: AccountService) {}

  @FieldResolver(() => OperatorPaymentAccount, {
    nullable: true,
    description: 'Null until onboarding starts. Operator admins and platform admins only.',
  })
  paymentAccount(@Root() operator: Operator, @Ctx() ctx: RequestContext): Promise<OperatorPaymentAccount | null> {
    requireOperatorAdmin(ctx.identity, operator.id);
    return ctx.loader(accountByOperator).load(operator.id);
  }

  @FieldResolver(() => PaymentConnection, {
    description: 'Payments to this operator, newest first. Operator admins and platform admins only.',
  })
  payments(
    @Root() operator: Operator,
    @Arg('filter', () => PaymentFilter, { nullable: true }) filter: PaymentFilter | undefined,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: RequestContext,
  ) {
    requireOperatorAdmin(ctx.identity, operator.id);
    return listOperatorPayments(ctx.em, operator.id, filter?.status, page);
  }

  @FieldResolver(() => [RevenueByCurrency], {
    description:
      'Revenue per currency of payments captured in [from, to). Operator admins, platform admins and analysts.',
  })
  async revenue(
    @Root() operator: Operator,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
    @Ctx() ctx: RequestContext,
  ): Promise<RevenueByCurrency[]> {
    requireRevenueAccess(ctx.identity, operator.id);
    if (!(from < to)) throw badInput('`from` must be before `to`.', 'from');
    if (to.getTime() - from.getTime() > MAX_REVENUE_RANGE_MS)
      throw badInput('The period may be at most 366 days.', 'to');
    const rows = await operatorRevenue(ctx.em, operator.id, from, to);
    return rows.map((row) =>
      Object.assign(new RevenueByCurrency(), {
        currency: row.currency,
        gross: Money.of(row.gross, row.currency),
        applicationFees: Money.of(row.applicationFees, row.currency),
        refunded: Money.of(row.refunded, row.currency),
        net: Money.of(row.net, row.currency),
        paymentCount: row.paymentCount,
      }),
    );
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => OnboardingLink, {
    description: "Creates the operator's payment account once and returns a fresh onboarding link.",
  })
  async startOperatorOnboarding(
    @Arg('operatorId', () => ID) operatorId: string,
    @Ctx() ctx: RequestContext,
  ): Promise<OnboardingLink> {
    requireOperatorAdmin(ctx.identity, operatorId);
    return Object.assign(new OnboardingLink(), await this.accounts.startOnboarding(operatorId));
  }

  @Authorized(Role.PLATFORM_ADMIN)
  @Mutation(() => OperatorPaymentAccount, {
    description: "Platform admins set the platform's share of an operator's payments.",
  })
  setOperatorFeePolicy(
    @Arg('input', () => SetOperatorFeePolicyInput) input: SetOperatorFeePolicyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<OperatorPaymentAccount> {
    requirePlatformAdmin(ctx.identity);
    return this.accounts.setFeePolicy(input.operatorId, {
      basisPoints: input.basisPoints,
      fixedAmount: input.fixedAmount,
      refundApplicationFee: input.refundApplicationFee,
    });
  }
}
