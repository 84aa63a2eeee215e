import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { groupedBy } from '../../../platform/subgraph/context.js';
import { canSeeBooks } from '../access.js';
import { Payment } from '../payment/payment.entity.js';
import { LedgerEntry } from './ledger-entry.entity.js';

const entriesByPayment = groupedBy(
  (ctx, paymentIds) =>
    ctx.em.find(LedgerEntry, { paymentId: { $in: paymentIds } }, { orderBy: { occurredAt: 'asc', id: 'asc' } }),
  (entry) => entry.paymentId,
);

@Resolver(() => Payment)
export class PaymentLedgerResolver {
  @FieldResolver(() => [LedgerEntry], {
    description:
      "The payment's append-only books, oldest first: every attempt, provider outcome and money movement. The receiving operator's admins and the platform; empty for anyone else.",
  })
  async ledger(@Root() payment: Payment, @Ctx() ctx: RequestContext): Promise<LedgerEntry[]> {
    if (!canSeeBooks(ctx.identity, payment)) return [];
    return ctx.loader(entriesByPayment).load(payment.id);
  }
}
