import { Length, Matches } from 'class-validator';
import { Arg, ArgsType, Args, Authorized, Ctx, Field, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Role } from '../../../platform/identity.js';
import { requireDriver } from '../access.js';
import { SavedPaymentMethod } from './card.entity.js';
import type { CardService } from './card.service.js';

@ArgsType()
class SavePaymentMethodArgs {
  @Field(() => String, { description: "A card payment method the app created with the provider's client SDK (pm_…)." })
  @Length(4, 255)
  @Matches(/^pm_\w+$/, { message: 'paymentMethodId must be a payment method id such as pm_…' })
  paymentMethodId!: string;
}

/** A driver's saved cards: saved once on the platform, used for holds and charges at any operator. */
@Resolver(() => SavedPaymentMethod)
export class CardResolver {
  constructor(private readonly cards: CardService) {}

  @Authorized(Role.DRIVER)
  @Mutation(() => SavedPaymentMethod, { description: 'Saves a card for the signed-in driver.' })
  savePaymentMethod(
    @Args(() => SavePaymentMethodArgs) { paymentMethodId }: SavePaymentMethodArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<SavedPaymentMethod> {
    return this.cards.save(requireDriver(ctx.identity), paymentMethodId);
  }

  @Authorized(Role.DRIVER)
  @Query(() => [SavedPaymentMethod], {
    description: "The signed-in driver's saved cards, newest first (the newest is used for off-session charges).",
  })
  myPaymentMethods(@Ctx() ctx: RequestContext): Promise<SavedPaymentMethod[]> {
    return this.cards.list(ctx.em, requireDriver(ctx.identity));
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => Boolean, { description: "Removes one of the signed-in driver's saved cards." })
  removePaymentMethod(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.cards.remove(requireDriver(ctx.identity), id);
  }
}
