import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { canSeeCard } from '../access.js';
import { Payment } from '../payment/payment.entity.js';
import { refundsByPayment } from '../refund/refund.service.js';
import { issuedReceiptByPayment, receiptView, type ReceiptService } from './receipt.service.js';
import { Receipt } from './receipt.types.js';

/** Contributes `Payment.receipt`; whoever may see the payment (checked where the payment is resolved) sees it. */
@Resolver(() => Payment)
export class ReceiptResolver {
  constructor(private readonly receipts: ReceiptService) {}

  @FieldResolver(() => Receipt, {
    nullable: true,
    description:
      'Once the payment succeeded with an amount: issued by the operator on first read, numbered per operator. The card is shown to the paying driver only.',
  })
  async receipt(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<Receipt | null> {
    const facts = ctx.loader(this.receipts.sources.loader);
    const issued = await this.receipts.receiptOf(
      payment,
      await ctx.loader(issuedReceiptByPayment).load(payment.id),
      (subject) => facts.load(subject),
    );
    if (!issued) return null;
    const refunds = await ctx.loader(refundsByPayment).load(payment.id);
    return receiptView(issued, refunds, canSeeCard(ctx.identity, payment));
  }
}
