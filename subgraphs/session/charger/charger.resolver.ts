import { Arg, Authorized, Ctx, Directive, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '../../../platform/subgraph/context.js';
import { Role } from '../../../platform/identity.js';
import type { SessionRuntime } from '../lifecycle/runtime.js';
import { ChargerService } from './charger.service.js';
import {
  ChargerAuthorizeInput,
  ChargerMeterValueInput,
  ChargerMeterValueResult,
  ChargerStartTransactionInput,
  ChargerStopTransactionInput,
  ChargerTransactionStart,
  IdTagStatus,
} from './charger.types.js';

/** Service-only (@inaccessible): called by the OCPP process for its chargers; ChargerService checks Role.SERVICE. */
@Resolver()
export class ChargerResolver {
  constructor(private readonly runtime: SessionRuntime) {}

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => IdTagStatus)
  chargerAuthorize(
    @Arg('input', () => ChargerAuthorizeInput) input: ChargerAuthorizeInput,
    @Ctx() ctx: RequestContext,
  ): Promise<IdTagStatus> {
    return new ChargerService(ctx, this.runtime).authorize(input);
  }

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => ChargerTransactionStart)
  chargerStartTransaction(
    @Arg('input', () => ChargerStartTransactionInput) input: ChargerStartTransactionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<ChargerTransactionStart> {
    return new ChargerService(ctx, this.runtime).startTransaction(input);
  }

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => [ChargerMeterValueResult])
  chargerMeterValues(
    @Arg('values', () => [ChargerMeterValueInput]) values: ChargerMeterValueInput[],
    @Ctx() ctx: RequestContext,
  ): Promise<ChargerMeterValueResult[]> {
    return new ChargerService(ctx, this.runtime).meterValues(values);
  }

  @Authorized(Role.SERVICE)
  @Directive('@inaccessible')
  @Mutation(() => Boolean)
  chargerStopTransaction(
    @Arg('input', () => ChargerStopTransactionInput) input: ChargerStopTransactionInput,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return new ChargerService(ctx, this.runtime).stopTransaction(input);
  }
}
