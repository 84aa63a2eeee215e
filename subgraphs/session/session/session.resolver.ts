import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import type { ReferenceResolvers } from '../../../platform/subgraph/federation.js';
import { Role } from '../../../platform/identity.js';
import { PageArgs } from '../../../platform/subgraph/pagination.js';
import { Operator, Station } from '../references.js';
import type { DriverPseudonyms } from '../access.js';
import type { SessionRuntime } from '../lifecycle/runtime.js';
import { ChargingSession } from './session.entity.js';
import { ChargingSessionFilter, RecordMeterValueInput, StartChargingSessionInput } from './session.inputs.js';
import { ChargingSessionService, sessionById, sessionsByStation } from './session.service.js';
import { ChargingSessionConnection, SessionCost } from './session.types.js';

/** Roles that read sessions at all; which sessions each sees is narrowed in the service (`visibleSessions`). */
const READERS = [Role.DRIVER, Role.OPERATOR_ADMIN, Role.ANALYST];

@Resolver(() => ChargingSession)
export class ChargingSessionResolver {
  constructor(private readonly runtime: SessionRuntime) {}

  @Authorized(...READERS)
  @Query(() => ChargingSession, {
    description: "One session: drivers see their own, operator admins their operator's.",
  })
  chargingSession(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ChargingSession> {
    return new ChargingSessionService(ctx, this.runtime).get(id);
  }

  @Authorized(...READERS)
  @Query(() => ChargingSessionConnection, { description: 'Sessions the caller may see, newest first.' })
  chargingSessions(
    @Arg('filter', () => ChargingSessionFilter, { nullable: true }) filter: ChargingSessionFilter | undefined,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() ctx: RequestContext,
  ) {
    return new ChargingSessionService(ctx, this.runtime).list(filter, page);
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => ChargingSession, {
    description:
      "A driver starts charging at a connector: the tariff is fixed for the session now, a hold is placed on the driver's card, and the charger is told to start. PENDING until the charger confirms (then ACTIVE); ACTIVE at once at a station without a charge point.",
  })
  startChargingSession(
    @Arg('input', () => StartChargingSessionInput) input: StartChargingSessionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ChargingSession> {
    return new ChargingSessionService(ctx, this.runtime).start(input);
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => ChargingSession, {
    description:
      'After 3-D Secure on the hold: once it is authorised the charger is told to start (PENDING until it confirms).',
  })
  confirmChargingSessionStart(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ChargingSession> {
    return new ChargingSessionService(ctx, this.runtime).confirmStart(id);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => ChargingSession, {
    description:
      "Manual path (stations without a charge point): the operator's admins report the energy delivered so far.",
  })
  recordMeterValue(
    @Arg('input', () => RecordMeterValueInput) input: RecordMeterValueInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ChargingSession> {
    return new ChargingSessionService(ctx, this.runtime).recordMeterValue(input);
  }

  @Authorized(Role.DRIVER)
  @Mutation(() => ChargingSession, {
    description:
      'The driver stops the session. At a charge point the charger is told to stop and the session ends when it reports the stop (stopRequestedAt is set meanwhile); elsewhere it ends now. Its price is fixed from the tariff snapshot and it is charged without any further call. A PENDING session is CANCELLED.',
  })
  stopChargingSession(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<ChargingSession> {
    return new ChargingSessionService(ctx, this.runtime).stop(id);
  }

  @FieldResolver(() => Station)
  station(@Root() session: ChargingSession): Station {
    return Station.ref(session.stationId);
  }

  @FieldResolver(() => Operator, { description: 'The operator the session is paid to, fixed at start.' })
  operator(@Root() session: ChargingSession): Operator {
    return Operator.ref(session.operatorId);
  }

  @FieldResolver(() => SessionCost)
  cost(@Root() session: ChargingSession): SessionCost {
    return SessionCost.of(session.costAt(new Date()), session.tariff.currency);
  }
}

@Resolver(() => Station)
export class StationSessionsResolver {
  @Authorized(...READERS)
  // Nullable like every field one subgraph adds to another's entity, so an outage here leaves the station readable.
  @FieldResolver(() => ChargingSessionConnection, {
    nullable: true,
    description:
      'Sessions at this station the caller may see, newest first (null when the session service is unavailable).',
  })
  sessions(@Root() station: Station, @Args(() => PageArgs) page: PageArgs, @Ctx() ctx: RequestContext) {
    return ctx.loader(sessionsByStation).load({ stationId: station.id, page });
  }
}

/** `_entities` skips @Authorized: the loader narrows to the caller's sessions, so others' resolve to null. */
export const sessionReferences: ReferenceResolvers = {
  ChargingSession: {
    __resolveReference: (reference: { id: string }, ctx: RequestContext) => ctx.loader(sessionById).load(reference.id),
  },
};

/** `ChargingSession.driverId` as the caller may read it (../access.ts): analysts get a stable pseudonym. */
@Resolver(() => ChargingSession)
export class DriverIdResolver {
  constructor(private readonly pseudonyms: DriverPseudonyms) {}

  @FieldResolver(() => ID, {
    description: 'The driver who started the session. Analysts get a stable pseudonym (drv_…) instead of the real id.',
  })
  driverId(@Root() session: ChargingSession, @Ctx() ctx: RequestContext): string {
    return this.pseudonyms.driverIdFor(ctx.identity, session.driverId);
  }
}
