import { Directive, Field, Int, ObjectType } from 'type-graphql';
import { Money } from '../../../platform/money.js';

@ObjectType({ description: "One currency of an operator's revenue over a period; amounts in minor units." })
export class RevenueByCurrency {
  @Field(() => String)
  currency!: string;

  @Field(() => Money, { description: 'Everything charged.' })
  gross!: Money;

  @Field(() => Money, { description: "The platform's application fees." })
  applicationFees!: Money;

  @Field(() => Money, { description: 'Refunded from these payments so far.' })
  refunded!: Money;

  @Field(() => Money, { description: "gross − applicationFees − refunded (before the provider's own fees)." })
  net!: Money;

  @Field(() => Int)
  paymentCount!: number;
}

/** Service-only (the session subgraph): what came of raising a session's hold. */
@ObjectType({ description: 'The answer to incrementSessionHold; a decline or an unsupported card is no error.' })
@Directive('@inaccessible')
export class SessionHoldIncrement {
  @Field(() => Boolean, { description: 'True when the hold now covers the amount asked for.' })
  incremented!: boolean;

  @Field(() => Int, { description: 'What is authorised now, in minor units of the hold currency.' })
  authorizedAmount!: number;

  @Field(() => String, {
    nullable: true,
    description:
      'Why not: a decline code, incremental_authorization_unavailable, hold_not_open (no open authorisation), no_hold.',
  })
  reason?: string | null;
}
