import { Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { connectorsByStation } from '../connector/connector.rows.js';
import type { StationRecord } from '../station/station.rows.js';
import { Station } from '../station/station.entity.js';

/**
 * `Station.connectorCount`: part of the public catalogue (the connectors are), and what the session subgraph's
 * `Station.utilisation` @requires to compute available hours. Shares the per-request connectors loader, so asking
 * for both connectors and their count is one query.
 */
@Resolver(() => Station)
export class StationConnectorCountResolver {
  @FieldResolver(() => Int, { description: 'How many connectors the station has now.' })
  async connectorCount(@Root() station: StationRecord, @Ctx() ctx: RequestContext): Promise<number> {
    return (await ctx.loader(connectorsByStation).load(station.id)).length;
  }
}
