import { Field, ObjectType } from 'type-graphql';
import { Money } from '../../../platform/money.js';
import { ConnectionType } from '../../../platform/subgraph/pagination.js';
import type { PriceBreakdown } from '../pricing/pricing.js';
import { ChargingSession } from './session.entity.js';

@ObjectType('SessionCost', {
  description:
    'What a session costs, in the currency of its tariff snapshot: up to now while ACTIVE, fixed once ended.',
})
export class SessionCost {
  @Field(() => Money, { description: 'Net energy cost.' })
  energy!: Money;

  @Field(() => Money, { description: 'Net time cost.' })
  time!: Money;

  @Field(() => Money, { description: 'Net flat session fee.' })
  sessionFee!: Money;

  @Field(() => Money, { description: 'Tax of the three net amounts, each rounded half up on its own line, added up.' })
  tax!: Money;

  @Field(() => Money, { description: 'Amount the driver pays: net amounts plus tax.' })
  total!: Money;

  static of(price: PriceBreakdown, currency: string): SessionCost {
    const money = (amount: number) => Money.of(amount, currency);
    return Object.assign(new SessionCost(), {
      energy: money(price.energy),
      time: money(price.time),
      sessionFee: money(price.sessionFee),
      tax: money(price.tax),
      total: money(price.total),
    });
  }
}

@ObjectType()
export class ChargingSessionConnection extends ConnectionType(ChargingSession, 'ChargingSession') {}
