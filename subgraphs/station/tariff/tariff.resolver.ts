import { Arg, Authorized, Ctx, Directive, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import type { ReferenceResolvers } from '../../../platform/subgraph/federation.js';
import { Role } from '../../../platform/identity.js';
import { Money } from '../../../platform/money.js';
import { Operator } from '../references.js';
import { Tariff } from './tariff.entity.js';
import { CATALOGUE } from '../cache-hints.js';
import { CreateTariffInput } from './tariff.inputs.js';
import { TariffService } from './tariff.service.js';
import { tariffRecordById, type TariffRecord } from './tariff.rows.js';

@Resolver(() => Tariff)
export class TariffResolver {
  @Query(() => Tariff, { description: 'One tariff; part of the public catalogue.' })
  @Directive(CATALOGUE)
  tariff(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<TariffRecord> {
    return new TariffService(ctx).find(id);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Tariff, { description: "An operator's admins (or platform admins) create one of its tariffs." })
  createTariff(
    @Arg('input', () => CreateTariffInput) input: CreateTariffInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Tariff> {
    return new TariffService(ctx).create(input);
  }

  @FieldResolver(() => Operator)
  @Directive(CATALOGUE)
  operator(@Root() tariff: TariffRecord): Operator {
    return Operator.ref(tariff.operatorId);
  }

  @FieldResolver(() => Money, { description: 'Net flat fee per session.' })
  sessionFee(@Root() tariff: TariffRecord): Money {
    return Money.of(tariff.sessionFeeAmount, tariff.currency);
  }

  @FieldResolver(() => Money, { description: "The hold placed on the driver's card when a session starts." })
  preAuthorization(@Root() tariff: TariffRecord): Money {
    return Money.of(tariff.preAuthorizationAmount, tariff.currency);
  }
}

/** Tariffs are public catalogue data: any caller may resolve one by key. */
export const tariffReferences: ReferenceResolvers = {
  Tariff: {
    __resolveReference: (reference: { id: string }, ctx: RequestContext) =>
      ctx.loader(tariffRecordById).load(reference.id),
  },
};
