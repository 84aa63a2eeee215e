import { Arg, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Role } from '../../../platform/identity.js';
import { RfidTag } from './rfid.entity.js';
import { RfidTagService } from './rfid.service.js';

@Resolver(() => RfidTag)
export class RfidTagResolver {
  @Authorized(Role.DRIVER)
  @Query(() => [RfidTag], { description: "The caller's linked RFID tags." })
  myRfidTags(@Ctx() ctx: RequestContext): Promise<RfidTag[]> {
    return new RfidTagService(ctx).mine();
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => RfidTag, {
    description:
      'Links an RFID tag to the calling driver: presenting it at a charger starts a session paid with their card. CONFLICT when another account has it.',
  })
  linkRfidTag(@Arg('idTag', () => String) idTag: string, @Ctx() ctx: RequestContext): Promise<RfidTag> {
    return new RfidTagService(ctx).link(idTag);
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => Boolean, {
    description: "Unlinks one of the caller's RFID tags; false when the caller has no such tag.",
  })
  unlinkRfidTag(@Arg('idTag', () => String) idTag: string, @Ctx() ctx: RequestContext): Promise<boolean> {
    return new RfidTagService(ctx).unlink(idTag);
  }
}
