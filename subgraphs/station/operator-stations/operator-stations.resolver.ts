import { Args, Ctx, Directive, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import type { ReferenceResolvers } from '../../../platform/subgraph/federation.js';
import { PageArgs } from '../../../platform/subgraph/pagination.js';
import { StationConnection } from '../station/station.resolver.js';
import { StationService } from '../station/station.service.js';
import { Operator } from '../references.js';
import { CATALOGUE } from '../cache-hints.js';

/** Contributes `Operator.stations` to the operator subgraph's entity. */
@Resolver(() => Operator)
export class OperatorStationsResolver {
  // Nullable like every field one subgraph adds to another's entity: if this subgraph is down, the rest of the
  // operator still answers (a partial result with an error) instead of nulling the whole response.
  @FieldResolver(() => StationConnection, {
    nullable: true,
    description: "The operator's stations, oldest first (null when the station service is unavailable).",
  })
  @Directive(CATALOGUE)
  stations(@Root() operator: Operator, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: RequestContext) {
    return new StationService(ctx).stationsOf(operator.id, page);
  }
}

/** Nothing to look up: the key is all this subgraph needs to resolve `Operator.stations`. */
export const operatorReferences: ReferenceResolvers = {
  Operator: {
    __resolveReference: (reference: { id: string }) => Operator.ref(reference.id),
  },
};
