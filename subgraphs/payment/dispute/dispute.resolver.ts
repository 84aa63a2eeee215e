import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { canSeeBooks } from '../access.js';
import { Payment } from '../payment/payment.entity.js';
import { Dispute } from './dispute.entity.js';
import { disputesByPayment } from './dispute.service.js';

@Resolver(() => Payment)
export class PaymentDisputesResolver {
  @FieldResolver(() => [Dispute], {
    description:
      "The payment's card disputes, oldest first: the receiving operator's admins and the platform; empty for anyone else.",
  })
  async disputes(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<Dispute[]> {
    if (!canSeeBooks(ctx.identity, payment)) return [];
    return ctx.loader(disputesByPayment).load(payment.id);
  }
}
