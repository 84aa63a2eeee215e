import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Directive,
  FieldResolver,
  Info,
  ID,
  Mutation,
  ObjectType,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { restrictCacheHint } from '../../../platform/subgraph/cache-control.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import type { ReferenceResolvers } from '../../../platform/subgraph/federation.js';
import { Role } from '../../../platform/identity.js';
import { ConnectionType, PageArgs } from '../../../platform/subgraph/pagination.js';
import { Connector } from '../connector/connector.entity.js';
import { connectorsByStation, type ConnectorRecord } from '../connector/connector.rows.js';
import { Operator } from '../references.js';
import { Tariff } from '../tariff/tariff.entity.js';
import { TariffService } from '../tariff/tariff.service.js';
import type { TariffRecord } from '../tariff/tariff.rows.js';
import { Station } from './station.entity.js';
import { CATALOGUE, CONNECTOR_STATUS_MAX_AGE_SECONDS } from '../cache-hints.js';
import { CreateStationInput, StationFilter, UpdateStationInput } from './station.inputs.js';
import { StationService } from './station.service.js';
import { stationRecordById, type StationRecord } from './station.rows.js';

@ObjectType()
export class StationConnection extends ConnectionType(Station, 'Station') {}

@Resolver(() => Station)
export class StationResolver {
  @Query(() => Station, { description: 'One station; part of the public catalogue.' })
  @Directive(CATALOGUE)
  station(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<StationRecord> {
    return new StationService(ctx).find(id);
  }

  @Query(() => StationConnection, {
    description: 'Stations matching the filter, oldest first; part of the public catalogue.',
  })
  @Directive(CATALOGUE)
  stations(
    @Arg('filter', () => StationFilter, { nullable: true }) filter: StationFilter | undefined,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: RequestContext,
    @Info() info: GraphQLResolveInfo,
  ) {
    // Which stations match `availableOnly` is a fact about connector statuses: as fresh as a status must be.
    if (filter?.availableOnly) restrictCacheHint(info, CONNECTOR_STATUS_MAX_AGE_SECONDS);
    return new StationService(ctx).list(filter, page);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Station, {
    description: "An operator's admins (or platform admins) add a station with its connectors.",
  })
  createStation(
    @Arg('input', () => CreateStationInput) input: CreateStationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Station> {
    return new StationService(ctx).create(input);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => Station, { description: "An operator's admins (or platform admins) update one of its stations." })
  updateStation(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateStationInput) input: UpdateStationInput,
    @Ctx() ctx: RequestContext,
  ): Promise<Station> {
    return new StationService(ctx).update(id, input);
  }

  @FieldResolver(() => Operator)
  @Directive(CATALOGUE)
  operator(@Root() station: StationRecord): Operator {
    return Operator.ref(station.operatorId);
  }

  @FieldResolver(() => Tariff)
  tariff(@Root() station: StationRecord, @Ctx() ctx: RequestContext): Promise<TariffRecord> {
    return new TariffService(ctx).find(station.tariff.id);
  }

  @FieldResolver(() => [Connector])
  connectors(@Root() station: StationRecord, @Ctx() ctx: RequestContext): Promise<ConnectorRecord[]> {
    return ctx.loader(connectorsByStation).load(station.id);
  }
}

/** Stations are public catalogue data: any caller may resolve one by key. */
export const stationReferences: ReferenceResolvers = {
  Station: {
    __resolveReference: (reference: { id: string }, ctx: RequestContext) =>
      ctx.loader(stationRecordById).load(reference.id),
  },
};
