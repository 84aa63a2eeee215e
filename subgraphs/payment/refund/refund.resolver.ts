import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../../platform/identity.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Refund } from './refund.entity.js';
import { RefundPaymentInput } from './refund.inputs.js';
import type { RefundService } from './refund.service.js';

@Resolver(() => Refund)
export class RefundResolver {
  constructor(private readonly refunds: RefundService) {}

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Refund, {
    description: 'The receiving operator refunds a payment, fully or partly, on its own account.',
  })
  refundPayment(
    @Arg('input', () => RefundPaymentInput) input: RefundPaymentInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Refund> {
    return this.refunds.refund(ctx.identity, {
      paymentId: input.paymentId,
      amount: input.amount ?? undefined,
      reason: input.reason,
    });
  }
}
