import { Field, Float, Int, ObjectType } from 'type-graphql';
import { LocalDate } from '../../../platform/subgraph/analytics/period.js';
import { RevenueByCurrency } from '../payment/payment.types.js';

/** `RevenueByCurrency` (the figures of `Operator.revenue`) for one local-date bucket of a period. */
@ObjectType('RevenueBucket', {
  description:
    "One currency of an operator's revenue in a period or bucket: payments captured on those local dates at their stations. " +
    'Refunds count with the payment they give back from (cohort view), whenever they happened.',
})
export class RevenueBucket extends RevenueByCurrency {
  @Field(() => LocalDate, { nullable: true, description: 'First local date of the bucket; null for the whole period.' })
  bucket!: string | null;
}

@ObjectType('PaymentStats', {
  description:
    "How an operator's payment attempts ended in a period (local dates at the stations). An attempt is a hold or a charge the card " +
    'issuer answered: it succeeded (the payment was captured) or was declined (including authentication required off-session). ' +
    'Holds released to be replaced by a larger charge and payments never tried (no card) are not attempts.',
})
export class PaymentStats {
  @Field(() => Int, { description: 'succeeded + declined.' })
  attempts!: number;

  @Field(() => Int, { description: 'Payments captured in the period (also those priced at zero).' })
  succeeded!: number;

  @Field(() => Int, { description: 'Attempts declined in the period; a payment may have several before one succeeds.' })
  declined!: number;

  @Field(() => Int, { description: 'Of the succeeded payments, those partly or fully refunded so far.' })
  refunded!: number;

  @Field(() => Float, { nullable: true, description: 'succeeded / attempts; null without attempts.' })
  successRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'declined / attempts; null without attempts.' })
  declineRate!: number | null;

  @Field(() => Float, { nullable: true, description: 'refunded / succeeded; null without succeeded payments.' })
  refundRate!: number | null;
}
