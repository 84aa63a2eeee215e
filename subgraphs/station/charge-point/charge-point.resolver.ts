import { Arg, Authorized, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { ChargerCommandClient } from '../../../platform/charger-commands.js';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Role } from '../../../platform/identity.js';
import { Station } from '../station/station.entity.js';
import type { StationRecord } from '../station/station.rows.js';
import { ChargePoint } from './charge-point.entity.js';
import { ChargePointPresenceInput, RegisterChargePointInput } from './charge-point.inputs.js';
import { ChargePointService, visibleChargePoints } from './charge-point.service.js';
import { ChargePointLogin, RegisteredChargePoint } from './charge-point.types.js';
import { PRIVATE_DATA } from '../../../platform/subgraph/cache-control.js';

@Resolver(() => ChargePoint)
export class ChargePointResolver {
  /** Built in the subgraph's `provide` with the client for charger commands (see index.ts). */
  constructor(private readonly commands?: ChargerCommandClient) {}

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => RegisteredChargePoint, {
    description:
      "An operator's admins (or platform admins) register the charge point of one of its stations; the password is " +
      'returned this once. From then on the station’s connector statuses come from the charger.',
  })
  registerChargePoint(
    @Arg('input', () => RegisterChargePointInput) input: RegisterChargePointInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RegisteredChargePoint> {
    return new ChargePointService(ctx, this.commands).register(input);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => RegisteredChargePoint, {
    description: 'A new password for the charge point (shown this once); its current connection is closed.',
  })
  rotateChargePointPassword(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: RequestContext,
  ): Promise<RegisteredChargePoint> {
    return new ChargePointService(ctx, this.commands).rotatePassword(id);
  }

  @Authorized(Role.OPERATOR_ADMIN)
  @Mutation(() => ID, {
    description: "Removes the charge point (its connection is closed); the station's statuses are set by hand again.",
  })
  removeChargePoint(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext): Promise<string> {
    return new ChargePointService(ctx, this.commands).remove(id);
  }

  @Directive('@inaccessible')
  @Query(() => ChargePointLogin, {
    nullable: true,
    description: 'Service-only (OCPP handshake): null for an unknown id or a wrong password.',
  })
  chargePointLogin(
    @Arg('chargePointId', () => String) chargePointId: string,
    @Arg('password', () => String) password: string,
    @Ctx() ctx: RequestContext,
  ): Promise<ChargePointLogin | null> {
    return new ChargePointService(ctx).login(chargePointId, password);
  }

  @Directive('@inaccessible')
  @Mutation(() => Int, {
    description: 'Service-only: connection state of many chargers at once; returns how many reports applied.',
  })
  reportChargePointPresence(
    @Arg('reports', () => [ChargePointPresenceInput]) reports: ChargePointPresenceInput[],
    @Ctx() ctx: RequestContext,
  ): Promise<number> {
    return new ChargePointService(ctx).reportPresence(reports);
  }

  @FieldResolver(() => Boolean, {
    description: 'It has a live connection and its heartbeats are current.',
  })
  connected(@Root() chargePoint: ChargePoint): boolean {
    return chargePoint.isConnected();
  }
}

/** Contributes `Station.chargePoints`. */
@Resolver(() => Station)
export class StationChargePointsResolver {
  @FieldResolver(() => [ChargePoint], {
    nullable: true,
    description: "The station's charge points (at most one); null unless you manage its operator.",
  })
  @Directive(PRIVATE_DATA)
  chargePoints(@Root() station: StationRecord, @Ctx() ctx: RequestContext): Promise<ChargePoint[] | null> {
    return visibleChargePoints(ctx, station);
  }
}
